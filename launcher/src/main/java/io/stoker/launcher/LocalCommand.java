package io.stoker.launcher;

import io.stoker.codecs.JobOutcome;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.Sizes;
import io.stoker.plan.JobSpec;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.ResumeToken;
import io.stoker.worker.SinkFactory;
import io.stoker.worker.WorkerJob;
import io.stoker.worker.shm.ShmFeedAgent;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * {@code stoker local}: the coordinator, a data server and the workers in this JVM, feeding a dataset.
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description = {
        "Feed a dataset through a coordinator, a data server and N workers in this JVM (embedded media driver,",
        "aeron:ipc control, local mapped-file reads unless --transport says otherwise), then print a summary.",
        "Give --dataset DIR to feed an existing dataset, or --generate SIZE to make a synthetic one first." })
final class LocalCommand implements Callable<Integer>
{
    @Option(names = "--dataset", paramLabel = "DIR",
        description = "Dataset directory. With --generate, where to write it (default: a temporary directory, " +
        "deleted afterwards unless --keep-dataset).")
    Path dataset;

    @Option(names = "--generate", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Generate a synthetic dataset of SIZE bytes of records first, e.g. 1GiB.")
    Long generate;

    @Option(names = "--format", defaultValue = "fixed:4096", converter = FormatConverter.class,
        description = "Record format of a generated dataset: fixed:SIZE, npy[:DTYPE:COLUMNS], tfrecord[:MEAN], " +
        "webdataset[:MEAN], megatron[:DTYPE][:seq:TOKENS], mds[:MEAN]. Default: ${DEFAULT-VALUE}.")
    FormatSpec format;

    @Option(names = "--workers", defaultValue = "1", description = "Worker agents (ranks). Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs to feed. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--seed", defaultValue = "0",
        description = "Seed of the epoch order (and of a generated dataset's content). Default: ${DEFAULT-VALUE}.")
    long seed;

    @Mixin
    BatchOptions batches;

    @Option(names = "--resume-from", paramLabel = "TOKEN",
        description = "Resume the job a resume token was taken in, from the token's step, on --workers ranks (which " +
        "may differ from the job's): seed and batch options come from the token, which must be of this dataset.")
    String resumeFrom;

    @Option(names = "--chunk-size", defaultValue = "4MiB", converter = SizeConverter.class,
        description = "Target chunk size, 64KiB to 64MiB; a chunk holds whole records. Default: ${DEFAULT-VALUE}.")
    long chunkSize;

    @Option(names = "--buffers", defaultValue = "8",
        description = "Buffers per worker to read ahead in, each as large as the largest chunk; with batches, a " +
        "worker adds what one step's shuffle windows need. Default: ${DEFAULT-VALUE}.")
    int buffers;

    @Option(names = "--transport", paramLabel = "local|rdma|udp",
        description = "Make workers read only over this transport: local (mapped files), rdma (one-sided RDMA " +
        "READs; needs libdisni and an RDMA device) or udp (loopback). Default: the best per server, local here.")
    String transport;

    @Option(names = "--rdma-address", paramLabel = "IP",
        description = "Address of the RDMA device to serve and read over. Default: the first IPv4 address of the " +
        "first RDMA device's network interface.")
    String rdmaAddress;

    @Mixin
    SinkOptions sinkOptions;

    @Mixin
    MetricsOptions metrics;

    @Option(names = "--step-time", defaultValue = "0", paramLabel = "MICROS",
        description = "Each consumer holds each batch this long before releasing it, as a training step would " +
        "(the summary's consumer wait then shows whether the feed keeps up). Default: ${DEFAULT-VALUE}.")
    long stepMicros;

    @Option(names = "--report", paramLabel = "FILE",
        description = "Write a JSON report: per epoch and rank, every step delivered with its samples' ids " +
        "(chunk, record) and the CRC32C of its bytes, the samples the drop policy left out, plus totals.")
    Path report;

    @Option(names = "--timeout", defaultValue = "3600", paramLabel = "SECONDS",
        description = "Give up after this many seconds. Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--keep-dataset", description = "Keep a generated dataset in a temporary directory.")
    boolean keepDataset;

    @Option(names = "--no-progress", description = "Do not draw the progress bar.")
    boolean noProgress;

    @Option(names = { "-v", "--verbose" }, description = "Print which transport reaches which server, and more.")
    boolean verbose;

    private volatile boolean interrupted;
    private Thread generating; // guarded by this

    @Override
    public Integer call() throws Exception
    {
        if (workers < 1 || epochs < 1 || buffers < 2)
        {
            throw new IllegalArgumentException("--workers and --epochs must be at least 1, --buffers at least 2");
        }
        final int chunkSizeTarget = chunkSize(chunkSize);
        final IntFunction<SinkFactory<?>> sinks = sinks();
        // Closed last: on SIGTERM or SIGINT the JVM halts as soon as the barrier is closed, so the cluster's media
        // driver directory and a temporary dataset have to be gone by then.
        try (ShutdownSignalBarrier ignoredBarrier = new ShutdownSignalBarrier(this::onSignal))
        {
            try
            {
                return feed(chunkSizeTarget, sinks);
            }
            catch (final DatasetException ex)
            {
                if (!interrupted)
                {
                    throw ex;
                }
                return stopped();
            }
        }
    }

    /**
     * A signal stops the feed at its next tick; a generation under way is interrupted, which makes it fail and
     * remove what it wrote.
     */
    private synchronized void onSignal()
    {
        interrupted = true;
        if (null != generating)
        {
            generating.interrupt();
        }
    }

    /**
     * Generates the dataset on this thread, which a signal interrupts until it returns, and no later.
     *
     * @return false when a signal came first and nothing was generated.
     */
    private boolean generate(final Path directory)
    {
        synchronized (this)
        {
            if (interrupted)
            {
                return false;
            }
            generating = Thread.currentThread();
        }
        try
        {
            DatasetGenerator.generate(directory, format, generate, seed);
            return true;
        }
        finally
        {
            synchronized (this)
            {
                generating = null;
                Thread.interrupted();
            }
        }
    }

    private int feed(final int chunkSizeTarget, final IntFunction<SinkFactory<?>> sinks) throws Exception
    {
        final boolean temporaryDataset = null != generate && null == dataset;
        final Path directory = null != dataset ? dataset : Files.createTempDirectory("stoker-dataset-");
        boolean generated = false;
        try
        {
            if (null != generate)
            {
                final long start = System.nanoTime();
                generated = generate(directory);
                if (!generated)
                {
                    return stopped();
                }
                System.err.printf("generated %s of %s records in %s in %.2f s%n",
                    Sizes.format(generate), format, directory, (System.nanoTime() - start) / 1e9);
            }
            else if (null == dataset)
            {
                throw new IllegalArgumentException("give --dataset DIR, --generate SIZE, or both");
            }

            if (interrupted)
            {
                return stopped();
            }
            final Manifest manifest = DatasetIndexer.loadOrIndex(directory, chunkSizeTarget);
            return run(directory, manifest, sinks);
        }
        finally
        {
            // A temporary directory whose generation failed holds nothing worth keeping.
            if (temporaryDataset && !(keepDataset && generated))
            {
                deleteRecursively(directory);
            }
        }
    }

    private int run(final Path directory, final Manifest manifest, final IntFunction<SinkFactory<?>> sinks)
        throws Exception
    {
        final LocalCluster.Settings settings = new LocalCluster.Settings(directory, manifest)
            .workers(workers)
            .sinks(sinks)
            .epochs(epochs)
            .seed(seed)
            .batchSpec(batches.spec())
            .bufferCount(buffers)
            .transport(null != transport ? TransportKind.fromLabel(transport) : null)
            .rdmaAddress(rdmaAddress)
            .stepNs(TimeUnit.MICROSECONDS.toNanos(stepMicros))
            .verboseLogger(verbose ? System.err::println : line -> {})
            .resumed(resumedJob(manifest));
        final Path shmRoot = sinkOptions.isShm() ? sinkOptions.shmDirectory() : null;
        if (null != shmRoot)
        {
            settings.shm(shmRoot, new ShmFeedAgent.Settings().leaseMs(sinkOptions.consumerLeaseMs));
        }
        BufferBudget.check(workers, WorkerJob.poolBuffers(buffers, settings.spec(), DatasetLayout.of(manifest)),
            manifest.maxChunkLength(), sinkOptions.isGpu());
        final DeliveryLog[] logs = new DeliveryLog[workers];
        for (int rank = 0; rank < workers; rank++)
        {
            logs[rank] = new DeliveryLog(null != report);
        }

        final RunSummary summary;
        final int lost;
        try (LocalCluster cluster = new LocalCluster(settings, rank -> logs[rank]);
            ProgressDisplay progress = new ProgressDisplay(!noProgress, manifest.totalBytes() * epochs);
            MetricsEndpoint ignoredMetrics = metrics.start("stoker local", cluster.connector().aeronDirectoryName()))
        {
            if (verbose)
            {
                System.err.println("stoker local: counters in " + cluster.connector().aeronDirectoryName());
            }
            if (null != shmRoot)
            {
                System.out.println("stoker local: rank r's channel in " + shmRoot + "/rank-r, " + workers +
                    " ranks; waiting for consumers");
            }
            final boolean completed = cluster.awaitCompletion(TimeUnit.SECONDS.toNanos(timeoutSeconds),
                () -> progress.update(cluster.workerTotal(CounterType.BYTES_DELIVERED)),
                () -> interrupted || cluster.lostConsumer() >= 0);
            progress.close();
            lost = cluster.lostConsumer();
            summary = RunSummary.of(cluster, completed);
        }
        removeShmDirectories(shmRoot);
        if (lost >= 0)
        {
            System.err.println("stoker local: the consumer of rank " + lost + " stopped (no heartbeat for " +
                sinkOptions.consumerLeaseMs + " ms); stopped without acknowledging what it did not release");
            return StokerCli.EXIT_INCOMPLETE;
        }
        if (interrupted)
        {
            return stopped();
        }

        System.out.print(summary.text());
        if (null != report)
        {
            RunReport.write(report, directory, manifest, summary, logs);
            System.out.println("report: " + report.toAbsolutePath());
        }
        return summary.outcome() == JobOutcome.COMPLETE && 0 == summary.deviceMismatches() ?
            0 : StokerCli.EXIT_INCOMPLETE;
    }

    /**
     * The channels removed their files when they closed: remove the ranks' directories, and the root when empty.
     */
    private void removeShmDirectories(final Path root)
    {
        if (null == root)
        {
            return;
        }
        for (int rank = 0; rank < workers; rank++)
        {
            root.resolve("rank-" + rank).toFile().delete();
        }
        root.toFile().delete();
    }

    private static int stopped()
    {
        System.err.println("stoker local: interrupted");
        return StokerCli.EXIT_INCOMPLETE;
    }

    /**
     * @return the job the resume token resumes, or null without one.
     */
    private JobSpec resumedJob(final Manifest manifest)
    {
        if (null == resumeFrom)
        {
            return null;
        }
        final ResumeToken token = ResumeToken.parse(resumeFrom);
        if (!token.datasetId().equals(manifest.datasetId()))
        {
            throw new IllegalArgumentException("the resume token is of dataset " + token.datasetId() + ", not of " +
                manifest.datasetId());
        }
        return token.resume(epochs, workers);
    }

    /**
     * Decided before any work, so {@code --sink gpu} without a device fails at once, in one line.
     */
    private IntFunction<SinkFactory<?>> sinks()
    {
        return sinkOptions.sinks(workers);
    }

    static int chunkSize(final long size)
    {
        if (size < DatasetIndexer.MIN_CHUNK_SIZE || size > DatasetIndexer.MAX_CHUNK_SIZE)
        {
            throw new IllegalArgumentException("--chunk-size must be 64KiB to 64MiB, was " + Sizes.format(size));
        }
        return (int)size;
    }

    private static void deleteRecursively(final Path directory)
    {
        try (Stream<Path> paths = Files.walk(directory))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
