package io.stoker.benchmarks;

import io.stoker.codecs.JobOutcome;
import io.stoker.launcher.LocalCluster;
import io.stoker.transport.status.CounterType;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a local feed to completion and times it from the first chunk a consumer received to the last:
 * start-up is reported apart, since a job pays it once.
 *
 * @param windowNs       first chunk received to last.
 * @param startupNs      the rest of the run: start-up, registration, first reads.
 * @param bytes          bytes delivered over all ranks.
 * @param consumerWaitNs each rank's consumer wait.
 */
record TimedFeed(long windowNs, long startupNs, long bytes, long[] consumerWaitNs)
{
    static TimedFeed run(final LocalCluster.Settings settings) throws InterruptedException
    {
        final AtomicLong firstNs = new AtomicLong();
        final AtomicLong lastNs = new AtomicLong();
        try (LocalCluster cluster = new LocalCluster(settings, rank -> (r, chunk) ->
        {
            final long now = System.nanoTime();
            firstNs.compareAndSet(0, now);
            lastNs.accumulateAndGet(now, Math::max);
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
            return new TimedFeed(windowNs, cluster.elapsedNs() - windowNs,
                cluster.workerTotal(CounterType.BYTES_DELIVERED), waits);
        }
    }

    double bytesPerSecond()
    {
        return bytes / (windowNs / 1e9);
    }
}
