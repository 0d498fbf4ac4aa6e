package io.stoker.benchmarks;

import io.stoker.coordinator.EpochProgress;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.JobSpec;
import io.stoker.plan.SampleSpace;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The coordinator's planning at scale, in this process, as curves over 8 to 1,024 ranks and 10^4 to 10^6 chunks:
 * the time to plan an epoch (the coordinator's {@link EpochProgress}: the epoch's shuffled sequence, sliced into
 * equal steps per rank, with each step's holder and release state) and the heap that plan keeps per chunk, with the
 * next epoch planned ahead as the coordinator does. Prints the points and writes {@code
 * benchmarks/target/scale.png}.
 * <p>
 * What this does not measure yet (issue 12): acknowledgements per second over Aeron, control bytes per worker per
 * epoch and time to reassignment need simulated workers against a real coordinator.
 * <p>
 * {@code benchmarks/run scale [RECORDS_PER_CHUNK (64)] [BATCH (256)] [WINDOW (16)] [ROUNDS (3)]}
 */
public final class ScaleBenchmark
{
    private static final int[] RANKS = { 8, 32, 128, 512, 1024 };
    private static final int[] CHUNKS = { 10_000, 100_000, 1_000_000 };
    private static final double PLAN_TARGET_MS = 1_000;
    private static final double HEAP_TARGET_BYTES = 100;

    public static void main(final String[] args)
    {
        final int records = Integer.parseInt(LocalFeedBenchmark.arg(args, 0, "64"));
        final int batchSize = Integer.parseInt(LocalFeedBenchmark.arg(args, 1, "256"));
        final int window = Integer.parseInt(LocalFeedBenchmark.arg(args, 2, "16"));
        final int rounds = Integer.parseInt(LocalFeedBenchmark.arg(args, 3, "3"));
        final BatchSpec batches = new BatchSpec(batchSize, window, DropPolicy.DROP_LAST);

        final List<LineChart.Series> planSeries = new ArrayList<>();
        final List<LineChart.Series> heapSeries = new ArrayList<>();
        System.out.printf("coordinator plan: %d records a chunk, batches of %d (window %d), medians of %d rounds%n",
            records, batchSize, window, rounds);
        System.out.printf("%10s %6s %12s %14s%n", "chunks", "ranks", "plan (ms)", "heap (B/chunk)");
        for (final int chunks : CHUNKS)
        {
            final int[] counts = new int[chunks];
            Arrays.fill(counts, records);
            final SampleSpace space = new SampleSpace(counts);
            final double[] x = new double[RANKS.length];
            final double[] planMs = new double[RANKS.length];
            final double[] heap = new double[RANKS.length];
            for (int i = 0; i < RANKS.length; i++)
            {
                final JobSpec spec = JobSpec.of("scale", RANKS[i], rounds + 2, 5L, batches);
                final double[] times = new double[rounds];
                final double[] bytes = new double[rounds];
                new EpochProgress(spec, space, 0);
                for (int round = 0; round < rounds; round++)
                {
                    final long before = usedHeap();
                    final long start = System.nanoTime();
                    final EpochProgress current = new EpochProgress(spec, space, round);
                    times[round] = (System.nanoTime() - start) / 1e6;
                    final EpochProgress next = new EpochProgress(spec, space, round + 1);
                    bytes[round] = (usedHeap() - before) / (double)chunks;
                    if (current.isComplete() || next.isComplete())
                    {
                        throw new IllegalStateException("a plan of " + chunks + " chunks has no steps");
                    }
                }
                x[i] = RANKS[i];
                planMs[i] = LocalFeedBenchmark.median(times);
                heap[i] = LocalFeedBenchmark.median(bytes);
                System.out.printf(Locale.ROOT, "%10d %6d %12.1f %14.1f%n", chunks, RANKS[i], planMs[i], heap[i]);
            }
            planSeries.add(new LineChart.Series(chunks + " chunks", x, planMs));
            heapSeries.add(new LineChart.Series(chunks + " chunks", x, heap));
        }
        final Path png = Path.of("benchmarks/target/scale.png");
        new LineChart()
            .add(new LineChart.Panel("time to plan an epoch", "ranks", "ms", planSeries, PLAN_TARGET_MS))
            .add(new LineChart.Panel("coordinator plan heap per chunk (2 epochs open)", "ranks", "bytes / chunk",
                heapSeries, HEAP_TARGET_BYTES))
            .write(png);
        System.out.println("curves in " + png);
    }

    private static long usedHeap()
    {
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++)
        {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
