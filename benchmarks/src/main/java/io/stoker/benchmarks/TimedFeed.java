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
 *
 * @param windowNs       first batch received to last.
 * @param startupNs      the rest of the run: start-up, registration, first reads.
 * @param bytes          sample bytes received by all ranks' consumers.
 * @param consumerWaitNs each rank's consumer wait.
 */
record TimedFeed(long windowNs, long startupNs, long bytes, long[] consumerWaitNs)
{
    static TimedFeed run(final LocalCluster.Settings settings) throws InterruptedException
    {
        final AtomicLong firstNs = new AtomicLong();
        final AtomicLong lastNs = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        try (LocalCluster cluster = new LocalCluster(settings, rank -> (r, batch) ->
        {
            final long now = System.nanoTime();
            firstNs.compareAndSet(0, now);
            lastNs.accumulateAndGet(now, Math::max);
            bytes.addAndGet(sampleBytes(batch));
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
            return new TimedFeed(windowNs, cluster.elapsedNs() - windowNs, bytes.get(), waits);
        }
    }

    double bytesPerSecond()
    {
        return bytes / (windowNs / 1e9);
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
