package io.stoker.transport.control;

import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.Manifest;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Puts manifests back together from the parts data servers send, one per dataset id. A manifest is
 * used only once whole and valid (its own CRC32C) and when its content is the dataset id it claims.
 */
public final class ManifestAssembler
{
    /**
     * Bytes per part: large messages are fragmented by Aeron and reassembled on receipt.
     */
    public static final int PART_LENGTH = 256 * 1024;

    private final Map<String, Assembly> assemblies = new HashMap<>();
    private final Map<String, Manifest> manifests = new HashMap<>();

    /**
     * Take one part.
     *
     * @return the manifest when this part completed it, else null.
     * @throws DatasetException when the parts do not make the manifest they claim to be.
     */
    public Manifest onPart(final ManifestPartDecoder decoder)
    {
        final int totalLength = decoder.totalLength();
        final int partOffset = decoder.partOffset();
        final String datasetId = decoder.datasetId();
        final int length = decoder.bytesLength();
        if (manifests.containsKey(datasetId))
        {
            decoder.skipBytes();
            return null;
        }
        if (totalLength < 0 || partOffset < 0 || (long)partOffset + length > totalLength)
        {
            throw new DatasetException("manifest of dataset " + datasetId, partOffset,
                "part of " + length + " bytes does not fit a manifest of " + totalLength);
        }

        Assembly assembly = assemblies.get(datasetId);
        if (null == assembly || assembly.bytes.length != totalLength)
        {
            assembly = new Assembly(totalLength);
            assemblies.put(datasetId, assembly);
        }
        decoder.getBytes(assembly.bytes, partOffset, length);
        assembly.received.set(partOffset / PART_LENGTH);
        if (assembly.received.cardinality() < (totalLength + PART_LENGTH - 1) / PART_LENGTH)
        {
            return null;
        }

        assemblies.remove(datasetId);
        final Manifest manifest = Manifest.fromBytes(
            new UnsafeBuffer(assembly.bytes), 0, totalLength, "manifest of dataset " + datasetId);
        if (!manifest.datasetId().equals(datasetId))
        {
            throw new DatasetException("manifest of dataset " + datasetId, 0,
                "content is dataset " + manifest.datasetId());
        }
        manifests.put(datasetId, manifest);
        return manifest;
    }

    /**
     * @return the whole manifest of a dataset, or null when not (yet) received.
     */
    public Manifest manifest(final String datasetId)
    {
        return manifests.get(datasetId);
    }

    /**
     * Send a manifest in parts.
     *
     * @return false when the outbox is full.
     */
    public static boolean send(final ControlPublisher publisher, final Outbox outbox, final Manifest manifest)
    {
        final byte[] bytes = manifest.toBytes();
        boolean sent = true;
        for (int offset = 0; offset < bytes.length; offset += PART_LENGTH)
        {
            sent &= publisher.manifestPart(
                outbox, manifest.datasetId(), bytes, offset, Math.min(PART_LENGTH, bytes.length - offset));
        }
        return sent;
    }

    private static final class Assembly
    {
        final byte[] bytes;
        final BitSet received = new BitSet();

        Assembly(final int length)
        {
            bytes = new byte[length];
        }
    }
}
