package io.stoker.launcher;

import io.stoker.dataset.Crc32c;
import io.stoker.worker.Chunk;
import io.stoker.worker.HostChunk;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.LongArrayList;

import java.util.ArrayList;
import java.util.List;

/**
 * Records what one rank's consumer received, in order: per epoch the chunk ids, the CRC32C the
 * consumer computed over the bytes it was handed, and when it was handed them. The source of the JSON report.
 */
public final class DeliveryLog implements ChunkHandler
{
    private final List<IntArrayList> chunksByEpoch = new ArrayList<>();
    private final List<IntArrayList> crcsByEpoch = new ArrayList<>();
    private final List<LongArrayList> timesByEpoch = new ArrayList<>();
    private final Crc32c crc32c;

    /**
     * @param recomputeCrc true to compute the CRC32C of host-memory chunks again on the consumer side
     *                     (what tests and audits want), false to record the CRC the worker verified.
     */
    public DeliveryLog(final boolean recomputeCrc)
    {
        crc32c = recomputeCrc ? new Crc32c() : null;
    }

    @Override
    public void onChunk(final int rank, final Chunk chunk)
    {
        final int epoch = chunk.epoch();
        while (chunksByEpoch.size() <= epoch)
        {
            chunksByEpoch.add(new IntArrayList());
            crcsByEpoch.add(new IntArrayList());
            timesByEpoch.add(new LongArrayList());
        }
        timesByEpoch.get(epoch).addLong(System.nanoTime());
        chunksByEpoch.get(epoch).addInt(chunk.chunkId());
        crcsByEpoch.get(epoch).addInt(null != crc32c && chunk instanceof HostChunk hostChunk ?
            crc32c.compute(hostChunk.byteBuffer(), 0, hostChunk.length()) : chunk.crc());
    }

    /**
     * @param epoch an epoch.
     * @return the chunk ids delivered in that epoch, in delivery order. Read after the run.
     */
    public int[] chunks(final int epoch)
    {
        return epoch < chunksByEpoch.size() ? chunksByEpoch.get(epoch).toIntArray() : new int[0];
    }

    /**
     * @param epoch an epoch.
     * @return the CRC32C of each delivered chunk, parallel to {@link #chunks(int)}.
     */
    public int[] crcs(final int epoch)
    {
        return epoch < crcsByEpoch.size() ? crcsByEpoch.get(epoch).toIntArray() : new int[0];
    }

    /**
     * @param epoch an epoch.
     * @return the {@link System#nanoTime()} at which each chunk was handed over, parallel to {@link #chunks(int)}.
     */
    public long[] times(final int epoch)
    {
        return epoch < timesByEpoch.size() ? timesByEpoch.get(epoch).toLongArray() : new long[0];
    }
}
