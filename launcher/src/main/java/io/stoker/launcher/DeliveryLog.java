package io.stoker.launcher;

import io.stoker.dataset.Crc32c;
import io.stoker.worker.Batch;
import io.stoker.worker.HostChunk;

import java.util.ArrayList;
import java.util.List;

/**
 * Records what one rank's consumer received, in order: per epoch each step's stream and index, its samples'
 * ids, a CRC32C over the sample bytes in the batch's order, their length, and when it was handed over. The
 * source of the JSON report.
 */
public final class DeliveryLog implements BatchHandler
{
    /**
     * One delivered step.
     *
     * @param stream  the rank whose stream the step is of.
     * @param step    the step.
     * @param samples the samples' ids in batch order, two ints each: chunk id, record index within the chunk.
     * @param crc     CRC32C of the samples' bytes one after the other, computed by the consumer; 0 when not asked
     *                for, or not in host memory.
     * @param bytes   the samples' bytes in all.
     * @param missing samples of the step whose chunk could not be read.
     * @param timeNs  {@link System#nanoTime()} when it was handed over.
     */
    public record Step(int stream, int step, int[] samples, int crc, long bytes, int missing, long timeNs)
    {
        /**
         * @return samples in the step.
         */
        public int size()
        {
            return samples.length / 2;
        }
    }

    private final List<List<Step>> stepsByEpoch = new ArrayList<>();
    private final Crc32c crc32c;

    /**
     * @param recomputeCrc true to compute a CRC32C over the samples' bytes on the consumer side (what tests and
     *                     audits want), false to skip it.
     */
    public DeliveryLog(final boolean recomputeCrc)
    {
        crc32c = recomputeCrc ? new Crc32c() : null;
    }

    @Override
    public void onBatch(final int rank, final Batch<?> batch)
    {
        final int epoch = batch.epoch();
        while (stepsByEpoch.size() <= epoch)
        {
            stepsByEpoch.add(new ArrayList<>());
        }
        final long timeNs = System.nanoTime();
        final int[] samples = new int[2 * batch.size()];
        long bytes = 0;
        for (int i = 0; i < batch.size(); i++)
        {
            samples[2 * i] = batch.chunkId(i);
            samples[2 * i + 1] = batch.record(i);
            bytes += batch.length(i);
        }
        int crc = 0;
        if (null != crc32c && (0 == batch.size() || batch.chunk(0) instanceof HostChunk))
        {
            crc32c.reset();
            for (int i = 0; i < batch.size(); i++)
            {
                crc32c.update(((HostChunk)batch.chunk(i)).byteBuffer(), batch.offset(i), batch.length(i));
            }
            crc = crc32c.value();
        }
        stepsByEpoch.get(epoch).add(
            new Step(batch.stream(), batch.step(), samples, crc, bytes, batch.missing(), timeNs));
    }

    /**
     * @param epoch an epoch.
     * @return the steps delivered in that epoch, in delivery order. Read after the run.
     */
    public List<Step> steps(final int epoch)
    {
        return epoch < stepsByEpoch.size() ? stepsByEpoch.get(epoch) : List.of();
    }
}
