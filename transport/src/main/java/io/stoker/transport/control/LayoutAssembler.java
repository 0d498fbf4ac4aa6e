package io.stoker.transport.control;

import io.stoker.codecs.DatasetLayoutDecoder;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.DatasetLayout;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import org.agrona.collections.Long2ObjectHashMap;


/**
 * Puts a job's dataset layout back together from the parts the coordinator sends a worker ahead of the job's
 * start, one per job id. What a peer can make it hold is bounded: at most {@code maxAssemblies} layouts in progress
 * or whole, each at most {@link MessageLimits#MAX_MANIFEST_LENGTH}, growing only as parts arrive.
 */
public final class LayoutAssembler
{
    /**
     * Bytes per part: every part but the last has exactly this many.
     */
    public static final int PART_LENGTH = PartedBytes.PART_LENGTH;

    private final int maxAssemblies;
    private final Long2ObjectHashMap<Assembly> assemblies = new Long2ObjectHashMap<>();

    /**
     * @param maxAssemblies most layouts held at once, whole or in progress.
     */
    public LayoutAssembler(final int maxAssemblies)
    {
        this.maxAssemblies = maxAssemblies;
    }

    /**
     * Take one part.
     *
     * @return the layout when this part completed it, else null.
     * @throws DatasetException when the part does not fit the layout it claims to be part of, or the whole is not a
     *                          layout.
     */
    public DatasetLayout onPart(final DatasetLayoutDecoder decoder)
    {
        final long jobId = decoder.jobId();
        final long totalLength = decoder.totalLength();
        final long partOffset = decoder.partOffset();
        final String datasetId = decoder.datasetId();
        final int length = decoder.bytesLength();
        final String name = "layout of job " + jobId + " (dataset " + Quote.of(datasetId) + ")";
        PartedBytes.checkPart(name, totalLength, partOffset, length);
        Assembly assembly = assemblies.get(jobId);
        if (null == assembly || assembly.bytes.totalLength() != totalLength || !assembly.datasetId.equals(datasetId))
        {
            if (null == assembly && assemblies.size() >= maxAssemblies)
            {
                throw new DatasetException(name, partOffset, maxAssemblies + " layouts are held already");
            }
            assembly = new Assembly(datasetId, (int)totalLength);
            assemblies.put(jobId, assembly);
        }
        decoder.getBytes(assembly.bytes.buffer(), (int)partOffset, length);
        if (!assembly.bytes.received(partOffset))
        {
            return null;
        }
        assembly.layout = DatasetLayout.fromBytes(assembly.bytes.byteArray(), assembly.bytes.totalLength(), name);
        return assembly.layout;
    }

    /**
     * @return the whole layout of a job's dataset, or null when not (yet) received whole.
     */
    public DatasetLayout layout(final long jobId, final String datasetId)
    {
        final Assembly assembly = assemblies.get(jobId);
        return null != assembly && assembly.datasetId.equals(datasetId) ? assembly.layout : null;
    }

    /**
     * Forget every layout but a job's: the worker serves one job at a time.
     */
    public void keepOnly(final long jobId)
    {
        assemblies.keySet().removeIf(id -> id != jobId);
    }

    /**
     * Send a layout in parts.
     *
     * @return false when the outbox is full.
     */
    public static boolean send(
        final ControlPublisher publisher,
        final Outbox outbox,
        final long jobId,
        final String datasetId,
        final byte[] layout)
    {
        boolean sent = true;
        for (int offset = 0; offset < layout.length; offset += PART_LENGTH)
        {
            sent &= publisher.datasetLayoutPart(
                outbox, jobId, datasetId, layout, offset, Math.min(PART_LENGTH, layout.length - offset));
        }
        return sent;
    }

    private static final class Assembly
    {
        final String datasetId;
        final PartedBytes bytes;
        DatasetLayout layout;

        Assembly(final String datasetId, final int totalLength)
        {
            this.datasetId = datasetId;
            this.bytes = new PartedBytes(totalLength);
        }
    }
}
