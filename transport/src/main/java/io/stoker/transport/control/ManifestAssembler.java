package io.stoker.transport.control;

import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.Manifest;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import org.agrona.ExpandableArrayBuffer;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Puts manifests back together from the parts data servers send, one per dataset id. A manifest is
 * used only once whole and valid (its own CRC32C) and when its content is the dataset id it claims.
 * What a peer can make it hold is bounded: at most {@code maxAssemblies} manifests in progress, each
 * at most {@link MessageLimits#MAX_MANIFEST_LENGTH}, growing only as parts arrive.
 */
public final class ManifestAssembler
{
    /**
     * Bytes per part: every part but the last has exactly this many.
     */
    public static final int PART_LENGTH = MessageLimits.MAX_MANIFEST_PART_LENGTH;

    private final int maxAssemblies;
    private final Map<String, Assembly> assemblies = new HashMap<>();
    private final Map<String, Manifest> manifests = new HashMap<>();

    /**
     * @param maxAssemblies most manifests in progress at once.
     */
    public ManifestAssembler(final int maxAssemblies)
    {
        this.maxAssemblies = maxAssemblies;
    }

    /**
     * Take one part.
     *
     * @return the manifest when this part completed it, else null.
     * @throws DatasetException when the part does not fit the manifest it claims to be part of.
     */
    public Manifest onPart(final ManifestPartDecoder decoder)
    {
        final long totalLength = decoder.totalLength();
        final long partOffset = decoder.partOffset();
        final String datasetId = decoder.datasetId();
        final int length = decoder.bytesLength();
        final String name = "manifest of dataset " + Quote.of(datasetId);
        if (manifests.containsKey(datasetId))
        {
            return null;
        }
        if (totalLength < 1 || totalLength > MessageLimits.MAX_MANIFEST_LENGTH)
        {
            throw new DatasetException(name, partOffset,
                "announced length " + totalLength + " is not within 1.." + MessageLimits.MAX_MANIFEST_LENGTH);
        }
        if (partOffset % PART_LENGTH != 0 || partOffset >= totalLength ||
            length != Math.min(PART_LENGTH, totalLength - partOffset))
        {
            throw new DatasetException(name, partOffset,
                "a part of " + length + " bytes does not fit a manifest of " + totalLength +
                " in parts of " + PART_LENGTH);
        }

        Assembly assembly = assemblies.get(datasetId);
        if (null == assembly || assembly.totalLength != totalLength)
        {
            if (null == assembly && assemblies.size() >= maxAssemblies)
            {
                throw new DatasetException(name, partOffset, maxAssemblies + " manifests are in progress already");
            }
            assembly = new Assembly((int)totalLength);
            assemblies.put(datasetId, assembly);
        }
        decoder.getBytes(assembly.bytes, (int)partOffset, length);
        assembly.received.set((int)(partOffset / PART_LENGTH));
        if (assembly.received.cardinality() < assembly.parts)
        {
            return null;
        }

        assemblies.remove(datasetId);
        final Manifest manifest = Manifest.fromBytes(assembly.bytes, 0, assembly.totalLength, name);
        if (!manifest.datasetId().equals(datasetId))
        {
            throw new DatasetException(name, 0, "content is dataset " + manifest.datasetId());
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
        final int totalLength;
        final int parts;
        final ExpandableArrayBuffer bytes = new ExpandableArrayBuffer(PART_LENGTH);
        final BitSet received = new BitSet();

        Assembly(final int totalLength)
        {
            this.totalLength = totalLength;
            this.parts = (totalLength + PART_LENGTH - 1) / PART_LENGTH;
        }
    }
}
