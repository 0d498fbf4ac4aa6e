package io.stoker.benchmarks;

import io.stoker.codecs.JobOutcome;
import io.stoker.launcher.LocalCluster;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.Batch;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a local feed to completion and times it from the first batch a consumer received to the last: start-up
 * is reported apart, since a job pays it once. Bytes are those of the samples the consumers received (in the chunk
 * feed, every byte of every chunk once), not those read: a chunk a slice boundary splits between ranks is read by
 * both.
 * <p>
 * It also times the steady part of the feed, from the first batch of the second epoch to the last, counting the
 * bytes received after it: what it leaves out (start-up, the first reads, a shuffle window filled before a first
 * batch) is paid once per job, while what it keeps includes every later epoch's turn over. With one epoch it is
 * the whole window.
 *
 * @param windowNs       first batch received to last.
 * @param startupNs      the rest of the run: start-up, registration, first reads.
 * @param bytes          sample bytes received by all ranks' consumers.
 * @param steadyNs       first batch of the second epoch received to last; {@code windowNs} with one epoch.
 * @param steadyBytes    sample bytes received after the first batch of the second epoch; {@code bytes} with one
 *                       epoch.
 * @param steps          batches received by all ranks' consumers.
 * @param consumerWaitNs each rank's consumer wait.
 */
record TimedFeed(
    long windowNs, long startupNs, long bytes, long steadyNs, long steadyBytes, long steps, long[] consumerWaitNs)
{
    static TimedFeed run(final LocalCluster.Settings settings) throws InterruptedException
    {
        final AtomicLong firstNs = new AtomicLong();
        final AtomicLong lastNs = new AtomicLong();
        final AtomicLong steadyStartNs = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong steadyBytes = new AtomicLong();
        final AtomicLong steps = new AtomicLong();
        try (LocalCluster cluster = new LocalCluster(settings, rank -> (r, batch) ->
        {
            final long now = System.nanoTime();
            firstNs.compareAndSet(0, now);
            lastNs.accumulateAndGet(now, Math::max);
            final long sampleBytes = sampleBytes(batch);
            bytes.addAndGet(sampleBytes);
            steps.incrementAndGet();
            if (0 != steadyStartNs.get())
            {
                steadyBytes.addAndGet(sampleBytes);
            }
            else if (batch.epoch() > 0)
            {
                steadyStartNs.compareAndSet(0, now);
            }
        }))
        {
            if (!cluster.awaitCompletion(TimeUnit.MINUTES.toNanos(10), () -> {}) ||
                cluster.outcome() != JobOutcome.COMPLETE)
            {
                throw new IllegalStateException("the feed did not complete: " + cluster.failure());
            }
            final long windowNs = lastNs.get() - firstNs.get();
            final long[] waits = new long[settings.workers()];
            for (int rank = 0; rank < waits.length; rank++)
            {
                waits[rank] = cluster.workerCounter(rank, CounterType.CONSUMER_WAIT_NS);
            }
            final boolean steady = 0 != steadyStartNs.get();
            return new TimedFeed(windowNs, cluster.elapsedNs() - windowNs, bytes.get(),
                steady ? lastNs.get() - steadyStartNs.get() : windowNs, steady ? steadyBytes.get() : bytes.get(),
                steps.get(), waits);
        }
    }

    double bytesPerSecond()
    {
        return bytes / (windowNs / 1e9);
    }

    double steadyBytesPerSecond()
    {
        return steadyBytes / (steadyNs / 1e9);
    }

    private static long sampleBytes(final Batch<?> batch)
    {
        final int size = batch.size();
        if (batch.sampleLength() > 0)
        {
            return (long)size * batch.sampleLength();
        }
        long sum = 0;
        for (int i = 0; i < size; i++)
        {
            sum += batch.length(i);
        }
        return sum;
    }
}
