package io.stoker.benchmarks;

import io.stoker.codecs.JobOutcome;
import io.stoker.dataset.Sizes;
import io.stoker.launcher.LocalCluster;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.worker.Batch;
import io.stoker.worker.HostChunk;
import io.stoker.worker.shm.ShmFeedAgent;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A Python training loop fed by Stoker's shared-memory channel against the same feed's Java consumer and against a
 * plain PyTorch {@code DataLoader}, in the same run, on the same fixed-record dataset. Each consumer touches every
 * sample's bytes the same way, a sum of the bytes as little-endian 64-bit words, and the per-epoch sums of the three
 * are checked equal (every byte of every epoch touched by each).
 * <ol>
 * <li>Java: {@code stoker local --workers W --batch-size B --shuffle-window K} whose consumers sum each batch on the
 * worker's thread before releasing it.</li>
 * <li>Python: the same feed with {@code --sink shm}, one {@code benchmarks/python/shm_consumer.py} process per rank
 * ({@code /usr/bin/python3}, or {@code $STOKER_PYTHON}) doing what a training loop does with a batch: collate it
 * into one array ({@code Batch.gather()}, one numpy call, the copy a collate makes), release it, sum the array with
 * numpy.</li>
 * <li>DataLoader: {@code benchmarks/python/dataloader_consumer.py}, {@code DataLoader(num_workers=W, batch_size=B,
 * shuffle=True)} over a map-style Dataset slicing each record out of an np.memmap of its shard.</li>
 * </ol>
 * Bytes per second of sample bytes touched, from the first batch of the second epoch to the last (start-up, worker
 * processes spawning, first reads left out, as in {@link LocalFeedBenchmark}); each batch is stamped after its sum.
 * The three take turns at going first; figures are medians of the rounds, ratios medians of the rounds' own.
 * <p>
 * {@code benchmarks/run python [SIZE (1GiB)] [EPOCHS (2)] [ROUNDS (3)] [WORKERS (2)] [BATCH (256)] [WINDOW (16)]}
 */
public final class PythonFeedBenchmark
{
    private static final double TARGET = 0.9;
    private static final long TIMEOUT_NS = TimeUnit.MINUTES.toNanos(10);
    private static final String[] NAMES = {"java", "python", "dataloader"};

    public static void main(final String[] args) throws Exception
    {
        final String sizeArg = LocalFeedBenchmark.arg(args, 0, "1GiB");
        final long size = Sizes.parse(sizeArg);
        final int epochs = Integer.parseInt(LocalFeedBenchmark.arg(args, 1, "2"));
        final int rounds = Integer.parseInt(LocalFeedBenchmark.arg(args, 2, "3"));
        final int workers = Integer.parseInt(LocalFeedBenchmark.arg(args, 3, "2"));
        final int batchSize = Integer.parseInt(LocalFeedBenchmark.arg(args, 4, "256"));
        final int window = Integer.parseInt(LocalFeedBenchmark.arg(args, 5, "16"));
        final String python = System.getenv().getOrDefault("STOKER_PYTHON", "/usr/bin/python3");
        final double loadAverage = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        final BenchDataset dataset = BenchDataset.prepare(
            Path.of("benchmarks/target/bench-data/fixed-" + size), "fixed:4096", size, 4 << 20);
        final Supplier<LocalCluster.Settings> settings = () -> new LocalCluster.Settings(
            dataset.directory, dataset.manifest)
            .workers(workers)
            .epochs(epochs)
            .batchSpec(new BatchSpec(batchSize, window, DropPolicy.DROP_LAST));

        final double[][] rates = new double[NAMES.length][rounds];
        final double[] overJava = new double[rounds];
        final double[] overLoader = new double[rounds];
        boolean sumsAgree = true;
        for (int round = 0; round < rounds; round++)
        {
            final Run[] runs = new Run[NAMES.length];
            for (int turn = 0; turn < NAMES.length; turn++)
            {
                final int which = (round + turn) % NAMES.length;
                runs[which] = switch (which)
                {
                    case 0 -> javaFeed(settings.get(), workers);
                    case 1 -> pythonFeed(settings.get(), workers, python);
                    default -> command(List.of(python, "benchmarks/python/dataloader_consumer.py",
                        dataset.directory.toString(), Integer.toString(epochs), "4096", Integer.toString(workers),
                        Integer.toString(batchSize)));
                };
            }
            for (int i = 0; i < NAMES.length; i++)
            {
                rates[i][round] = runs[i].steadyBytesPerSecond();
            }
            overJava[round] = rates[1][round] / rates[0][round];
            overLoader[round] = rates[1][round] / rates[2][round];
            final boolean agree = runs[0].sums.equals(runs[1].sums) && runs[0].sums.equals(runs[2].sums);
            sumsAgree &= agree;
            System.out.printf("round %d: java %.2f GB/s, python %.2f GB/s, dataloader %.3f GB/s; python = %.2fx " +
                "java, %.2fx dataloader; per-epoch sums %s%n", round, rates[0][round] / 1e9, rates[1][round] / 1e9,
                rates[2][round] / 1e9, overJava[round], overLoader[round], agree ? "equal" : "DIFFER " +
                Arrays.toString(new Object[] {runs[0].sums, runs[1].sums, runs[2].sums}));
        }

        final double javaRate = LocalFeedBenchmark.median(rates[0]);
        final double ratioJava = LocalFeedBenchmark.median(overJava);
        System.out.printf("%npython consumer: %s of fixed:4096, %d ranks, batches of %d (window %d, drop-last), %d " +
            "epochs; each consumer sums every sample's bytes as uint64 words; sample bytes touched per second from " +
            "the first batch of epoch 1 to the last; medians of %d rounds, ratios the median of each round's own; " +
            "per-epoch sums of the three %s%n", Sizes.format(dataset.manifest.totalBytes()), workers, batchSize,
            window, epochs, rounds, sumsAgree ? "equal in every round" : "NOT equal");
        System.out.printf("  on %d cores, load average %.2f at the start: the Java consumer sums on each rank's " +
            "worker thread; the Python consumer is a process per rank beside the JVM's worker threads, on the same " +
            "cores%n",
            Runtime.getRuntime().availableProcessors(), loadAverage);
        System.out.printf("  %-58s %6.2f GB/s%n", "java consumer (stoker local, in-process)", javaRate / 1e9);
        System.out.printf("  %-58s %6.2f GB/s  = %.2fx java (target %.2fx: %s), %.2fx dataloader%n",
            "python consumer (stoker local --sink shm, 1 process a rank)", LocalFeedBenchmark.median(rates[1]) / 1e9,
            ratioJava, TARGET, ratioJava >= TARGET ? "met" : "NOT met", LocalFeedBenchmark.median(overLoader));
        System.out.printf("  %-58s %6.2f GB/s%n", "PyTorch DataLoader (" + workers + " workers, memmap Dataset)",
            LocalFeedBenchmark.median(rates[2]) / 1e9);
        System.out.printf("  as commands: stoker local --dataset %s --workers %d --epochs %d --batch-size %d " +
            "--shuffle-window %d [--sink shm --shm-dir DIR + %s benchmarks/python/shm_consumer.py DIR/rank-r]; " +
            "%s benchmarks/python/dataloader_consumer.py %s %d%n", dataset.directory, workers, epochs, batchSize,
            window, python, python, dataset.directory, epochs);
    }

    private static Run javaFeed(final LocalCluster.Settings settings, final int workers) throws Exception
    {
        final Run run = new Run();
        final List<List<long[]>> perRank = new ArrayList<>();
        final List<Map<Integer, Long>> sums = new ArrayList<>();
        for (int rank = 0; rank < workers; rank++)
        {
            perRank.add(new ArrayList<>(4096));
            sums.add(new TreeMap<>());
        }
        try (LocalCluster cluster = new LocalCluster(settings, rank -> (r, batch) ->
        {
            final long sum = touch(batch);
            final long now = System.nanoTime();
            perRank.get(r).add(new long[] {now, batch.epoch(), bytes(batch)});
            sums.get(r).merge(batch.epoch(), sum, Long::sum);
        }))
        {
            complete(cluster);
        }
        for (int rank = 0; rank < workers; rank++)
        {
            run.batches.addAll(perRank.get(rank));
            sums.get(rank).forEach((epoch, sum) -> run.sums.merge(epoch, sum, Long::sum));
        }
        return run;
    }

    private static Run pythonFeed(final LocalCluster.Settings settings, final int workers, final String python)
        throws Exception
    {
        final Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "stoker-bench-");
        try
        {
            settings.shm(shm, new ShmFeedAgent.Settings());
            final List<Process> processes = new ArrayList<>();
            final List<Path> outputs = new ArrayList<>();
            try (LocalCluster cluster = new LocalCluster(settings, rank -> (r, batch) -> {}))
            {
                for (int rank = 0; rank < workers; rank++)
                {
                    final Path output = Files.createTempFile(Path.of("benchmarks/target"), "python-rank", ".txt");
                    outputs.add(output);
                    processes.add(start(List.of(python, "benchmarks/python/shm_consumer.py",
                        shm.resolve("rank-" + rank).toString()), output));
                }
                complete(cluster);
            }
            final Run run = new Run();
            for (int rank = 0; rank < workers; rank++)
            {
                run.add(finish(processes.get(rank), outputs.get(rank)));
            }
            return run;
        }
        finally
        {
            try (Stream<Path> files = Files.walk(shm))
            {
                files.sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static Run command(final List<String> command) throws Exception
    {
        final Path output = Files.createTempFile(Path.of("benchmarks/target"), "dataloader", ".txt");
        return finish(start(command, output), output);
    }

    private static Process start(final List<String> command, final Path output) throws IOException
    {
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectOutput(output.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("PYTHONPATH", Path.of("python").toAbsolutePath().toString());
        return builder.start();
    }

    private static Run finish(final Process process, final Path output) throws Exception
    {
        if (!process.waitFor(TIMEOUT_NS, TimeUnit.NANOSECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException("a Python consumer did not finish in 10 minutes");
        }
        final List<String> lines = Files.readAllLines(output);
        Files.delete(output);
        if (0 != process.exitValue() || lines.isEmpty() || !"outcome complete".equals(lines.get(lines.size() - 1)))
        {
            throw new IllegalStateException("a Python consumer failed (exit status " + process.exitValue() + ")");
        }
        final Run run = new Run();
        for (final String line : lines)
        {
            final String[] parts = line.split(" ");
            if ("sum".equals(parts[0]))
            {
                run.sums.merge(Integer.parseInt(parts[1]), Long.parseUnsignedLong(parts[2]), Long::sum);
            }
            else if ("batch".equals(parts[0]))
            {
                run.batches.add(new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2]),
                    Long.parseLong(parts[3])});
            }
        }
        return run;
    }

    private static void complete(final LocalCluster cluster) throws InterruptedException
    {
        if (!cluster.awaitCompletion(TIMEOUT_NS, () -> {}) || cluster.outcome() != JobOutcome.COMPLETE)
        {
            throw new IllegalStateException("the feed did not complete: " + cluster.failure());
        }
    }

    /**
     * The touch every consumer of this benchmark does: each sample's bytes summed as little-endian 64-bit words.
     */
    static long touch(final Batch<?> batch)
    {
        long sum = 0;
        for (int i = 0, size = batch.size(); i < size; i++)
        {
            final DirectBuffer buffer = ((HostChunk)batch.chunk(i)).buffer();
            final int end = batch.offset(i) + (batch.length(i) & ~7);
            for (int at = batch.offset(i); at < end; at += Long.BYTES)
            {
                sum += buffer.getLong(at, ByteOrder.LITTLE_ENDIAN);
            }
        }
        return sum;
    }

    private static long bytes(final Batch<?> batch)
    {
        long sum = 0;
        for (int i = 0, size = batch.size(); i < size; i++)
        {
            sum += batch.length(i);
        }
        return sum;
    }

    /**
     * A consumer's batches as (time after the touch, epoch, bytes), and its per-epoch sums.
     */
    private static final class Run
    {
        final List<long[]> batches = new ArrayList<>();
        final Map<Integer, Long> sums = new TreeMap<>();

        void add(final Run other)
        {
            batches.addAll(other.batches);
            other.sums.forEach((epoch, sum) -> sums.merge(epoch, sum, Long::sum));
        }

        /**
         * As {@link TimedFeed}: from the first batch of the second epoch (any rank's) to the last, the bytes of the
         * batches after the first; the whole run with one epoch.
         */
        double steadyBytesPerSecond()
        {
            final int firstEpoch = batches.stream().anyMatch(b -> b[1] > 0) ? 1 : 0;
            final long start = batches.stream().filter(b -> b[1] >= firstEpoch).mapToLong(b -> b[0]).min()
                .orElseThrow();
            final long end = batches.stream().mapToLong(b -> b[0]).max().orElseThrow();
            final long bytes = batches.stream().filter(b -> b[0] > start).mapToLong(b -> b[2]).sum();
            return bytes / ((end - start) / 1e9);
        }
    }

    private PythonFeedBenchmark()
    {
    }
}
