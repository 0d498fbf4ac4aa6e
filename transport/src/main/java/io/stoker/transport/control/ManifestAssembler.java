package io.stoker.transport.control;

import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.Manifest;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;

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
    public static final int PART_LENGTH = PartedBytes.PART_LENGTH;

    private final int maxAssemblies;
    private final Map<String, PartedBytes> assemblies = new HashMap<>();
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
        PartedBytes.checkPart(name, totalLength, partOffset, length);
        PartedBytes assembly = assemblies.get(datasetId);
        if (null == assembly || assembly.totalLength() != totalLength)
        {
            if (null == assembly && assemblies.size() >= maxAssemblies)
            {
                throw new DatasetException(name, partOffset, maxAssemblies + " manifests are in progress already");
            }
            assembly = new PartedBytes((int)totalLength);
            assemblies.put(datasetId, assembly);
        }
        decoder.getBytes(assembly.buffer(), (int)partOffset, length);
        if (!assembly.received(partOffset))
        {
            return null;
        }

        assemblies.remove(datasetId);
        final Manifest manifest = Manifest.fromBytes(assembly.buffer(), 0, assembly.totalLength(), name);
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
}
