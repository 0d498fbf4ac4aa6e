package io.stoker.benchmarks;

import io.stoker.coordinator.EpochProgress;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.JobSpec;
import io.stoker.plan.SampleSpace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The coordinator at scale, as curves over ranks and chunks.
 * <ul>
 * <li>In this process, no coordinator: the time to plan an epoch (the coordinator's {@link EpochProgress}: the
 * epoch's shuffled sequence, sliced into equal steps per rank, with each step's holder and release state) and the
 * heap that plan keeps per chunk, with the next epoch planned ahead as the coordinator does.</li>
 * <li>The {@link ScaleSimulation}: a real coordinator over Aeron with many simulated workers and two data servers:
 * acknowledgements per second it sustains, its heap per chunk, control bytes each worker receives, and the time
 * from a worker's death to its steps being assigned to the others, against the lease.</li>
 * </ul>
 * Prints the points and writes {@code benchmarks/target/scale.png}.
 * <p>
 * {@code benchmarks/run scale [--full] [--ranks=R,R..] [--chunks=C,C..] [RECORDS_PER_CHUNK (64)] [BATCH (256)]
 * [WINDOW (16)] [ROUNDS (3)]}: the default simulates 8, 64 and 512 ranks; {@code --full} 8, 32, 128, 512 and
 * 1,024; {@code --ranks} and {@code --chunks} pick the simulated points (the plan's curves are always the whole grid).
 */
public final class ScaleBenchmark
{
    private static final int[] RANKS = { 8, 32, 128, 512, 1024 };
    private static final int[] SIMULATED_RANKS = { 8, 64, 512 };
    private static final int[] CHUNKS = { 10_000, 100_000, 1_000_000 };
    private static final double PLAN_TARGET_MS = 1_000;
    private static final double HEAP_TARGET_BYTES = 100;
    private static final double ACKS_TARGET = 1e6;
    private static final int SERVERS = 2;
    private static final int WORKER_THREADS = 2;
    private static final long LEASE_MS = 5_000;
    private static final long HEARTBEAT_MS = 500;

    private ScaleBenchmark()
    {
    }

    public static void main(final String[] arguments) throws IOException
    {
        final boolean full = Arrays.asList(arguments).contains("--full");
        final int[] ranks = option(arguments, "--ranks=", full ? RANKS : SIMULATED_RANKS);
        final int[] chunkCounts = option(arguments, "--chunks=", CHUNKS);
        final String[] args = Arrays.stream(arguments).filter(a -> !a.startsWith("--")).toArray(String[]::new);
        final int records = Integer.parseInt(LocalFeedBenchmark.arg(args, 0, "64"));
        final int batchSize = Integer.parseInt(LocalFeedBenchmark.arg(args, 1, "256"));
        final int window = Integer.parseInt(LocalFeedBenchmark.arg(args, 2, "16"));
        final int rounds = Integer.parseInt(LocalFeedBenchmark.arg(args, 3, "3"));
        final BatchSpec batches = new BatchSpec(batchSize, window, DropPolicy.DROP_LAST);

        final List<LineChart.Series> planSeries = new ArrayList<>();
        final List<LineChart.Series> planHeapSeries = new ArrayList<>();
        plan(records, batches, rounds, planSeries, planHeapSeries);

        final List<List<Simulated>> simulated = simulate(records, batches, ranks, chunkCounts);
        final LineChart chart = new LineChart(3)
            .add(new LineChart.Panel("time to plan an epoch", "ranks", "ms", planSeries, PLAN_TARGET_MS))
            .add(new LineChart.Panel("acknowledgements / s the coordinator sustains", "ranks", "steps / s",
                series(simulated, p -> p.point().acksPerSecond()), ACKS_TARGET))
            .add(new LineChart.Panel("coordinator heap per chunk (job running)", "ranks", "bytes / chunk",
                series(simulated, p -> p.point().heapBytesPerChunk()), HEAP_TARGET_BYTES))
            .add(new LineChart.Panel("plan heap per chunk (2 epochs open)", "ranks", "bytes / chunk",
                planHeapSeries, HEAP_TARGET_BYTES))
            .add(new LineChart.Panel("control bytes per worker per epoch", "ranks", "bytes",
                series(simulated, p -> p.point().receivedBytesPerEpoch()), 0))
            .add(new LineChart.Panel("worker death to its steps reassigned", "ranks", "ms",
                series(simulated, p -> p.point().reassignedMs()), LEASE_MS));
        final Path png = Path.of("benchmarks/target/scale.png");
        chart.write(png);
        System.out.println("curves in " + png + " (the reassignment panel's dashed line is the lease)");
    }

    private static void plan(final int records, final BatchSpec batches, final int rounds,
        final List<LineChart.Series> planSeries, final List<LineChart.Series> heapSeries)
    {
        System.out.printf("coordinator plan: %d records a chunk, batches of %d (window %d), medians of %d rounds%n",
            records, batches.batchSize(), batches.shuffleWindow(), rounds);
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
                    final long before = ScaleSimulation.usedHeap();
                    final long start = System.nanoTime();
                    final EpochProgress current = new EpochProgress(spec, space, round);
                    times[round] = (System.nanoTime() - start) / 1e6;
                    final EpochProgress next = new EpochProgress(spec, space, round + 1);
                    bytes[round] = (ScaleSimulation.usedHeap() - before) / (double)chunks;
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
    }

    /**
     * One simulated point that ran.
     */
    private record Simulated(int ranks, int chunks, ScaleSimulation.Point point)
    {
    }

    private static List<List<Simulated>> simulate(
        final int records, final BatchSpec batches, final int[] ranks, final int[] chunkCounts) throws IOException
    {
        System.out.printf(Locale.ROOT, "%ncoordinator over Aeron IPC: %d data servers, simulated workers on %d " +
            "threads, lease %d ms, heartbeat %d ms, %d epochs; %d cores, load %s%n", SERVERS, WORKER_THREADS, LEASE_MS,
            HEARTBEAT_MS, ScaleSimulation.EPOCHS, Runtime.getRuntime().availableProcessors(), loadAverage());
        System.out.printf("%8s %5s %9s %9s %11s %5s %8s %9s %9s %9s %9s %9s %9s %8s%n", "chunks", "ranks",
            "steps/ep", "join (ms)", "acks/s", "busy", "heap B/c", "layout/w", "desc/w", "assign/w", "total/w",
            "1st (ms)", "all (ms)", "moved");
        final List<List<Simulated>> all = new ArrayList<>();
        final Path directory = Files.createDirectories(Path.of("benchmarks/target/scale-simulation"));
        for (final int chunks : chunkCounts)
        {
            final List<Simulated> row = new ArrayList<>();
            for (final int rank : ranks)
            {
                final Path checkpoints = Files.createTempDirectory(directory, "coordinator-");
                final ScaleSimulation.Settings settings = new ScaleSimulation.Settings(rank, chunks, records, batches,
                    SERVERS, WORKER_THREADS, LEASE_MS, HEARTBEAT_MS, checkpoints, null);
                final ScaleSimulation.Point p = ScaleSimulation.run(settings);
                delete(checkpoints);
                check(chunks, rank, p);
                row.add(new Simulated(rank, chunks, p));
                System.out.printf(Locale.ROOT,
                    "%8d %5d %9d %9.0f %11.0f %5.2f %8.1f %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f %8d%n",
                    chunks, rank, p.stepsPerEpoch(), p.registerMs(), p.acksPerSecond(), p.coordinatorBusy(),
                    p.heapBytesPerChunk(), p.layoutBytesPerWorker(), p.descriptorBytesPerEpoch(),
                    p.assignmentBytesPerEpoch(), p.receivedBytesPerEpoch(),
                    p.firstReassignedMs(), p.reassignedMs(), p.reassignedSteps());
            }
            all.add(row);
        }
        System.out.println("busy: the coordinator thread's CPU time over the acknowledgement phase; " +
            "layout/w: the job's layout and the region advertisements a worker received (once a job); " +
            "desc/w: its chunk descriptors per epoch; assign/w: its assignments per epoch; total/w: all bytes of " +
            "its subscription per epoch; 1st, all: from " +
            "the dead worker's last message to the first and the last of its steps assigned to another, lease " +
            LEASE_MS + " ms; load after: " + loadAverage());
        return all;
    }

    private static void check(final int chunks, final int ranks, final ScaleSimulation.Point p)
    {
        if (!p.completed() || p.extraRegistrations() != 0 || p.invalidMessages() != 0)
        {
            System.out.printf(Locale.ROOT, "%8d %5d not clean: %s, %d of %d steps counted, %d records not " +
                "journaled (ring full), %d extra registrations, %d refused; errors: %s%n", chunks, ranks,
                p.completed() ? "completed" : "stalled after the death", p.acknowledged(), p.plannedSteps(),
                p.journalFull(), p.extraRegistrations(), p.invalidMessages(), p.errors());
        }
    }

    private static List<LineChart.Series> series(
        final List<List<Simulated>> simulated, final ToDoubleFunction<Simulated> value)
    {
        final List<LineChart.Series> result = new ArrayList<>();
        for (final List<Simulated> row : simulated)
        {
            if (row.isEmpty())
            {
                continue;
            }
            final double[] x = new double[row.size()];
            final double[] y = new double[row.size()];
            for (int i = 0; i < row.size(); i++)
            {
                x[i] = row.get(i).ranks();
                y[i] = value.applyAsDouble(row.get(i));
            }
            result.add(new LineChart.Series(row.get(0).chunks() + " chunks", x, y));
        }
        return result;
    }

    private static int[] option(final String[] arguments, final String name, final int[] otherwise)
    {
        for (final String argument : arguments)
        {
            if (argument.startsWith(name))
            {
                return Arrays.stream(argument.substring(name.length()).split(",")).mapToInt(Integer::parseInt)
                    .toArray();
            }
        }
        return otherwise;
    }

    private static String loadAverage()
    {
        try
        {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        }
        catch (final IOException ex)
        {
            return "unknown (" + ex.getMessage() + ")";
        }
    }

    private static void delete(final Path directory)
    {
        try (var files = Files.walk(directory))
        {
            files.sorted((a, b) -> b.compareTo(a)).forEach(ScaleBenchmark::deleteFile);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void deleteFile(final Path file)
    {
        try
        {
            Files.delete(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
