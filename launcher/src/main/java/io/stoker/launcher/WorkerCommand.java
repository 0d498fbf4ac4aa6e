package io.stoker.launcher;

import io.stoker.codecs.JobOutcome;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.rdma.RdmaCapability;
import io.stoker.transport.rdma.RdmaSettings;
import io.stoker.transport.rdma.RdmaTransport;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.EmbeddedWorker;
import io.stoker.worker.Chunk;
import io.stoker.worker.ResumeToken;
import io.stoker.worker.SinkFactory;
import io.stoker.worker.WorkerAgent;
import io.stoker.worker.WorkerContext;
import io.stoker.worker.WorkerJob;
import io.stoker.worker.gpu.GpuSinkFactory;
import io.stoker.worker.shm.ChannelSinkFactory;
import io.stoker.worker.shm.ShmFeedAgent;
import io.stoker.worker.shm.ShmGpuSinkFactory;
import io.stoker.worker.shm.ShmSinkFactory;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * {@code stoker worker}: one rank's worker agent with a host consumer, until its job ends.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = "Run one rank's worker agent: join the coordinator, read the chunks of the rank's steps of every " +
        "epoch into its buffers (mapped files on the same host, RDMA where both sides have it, else UDP), check " +
        "every CRC32C, hand one batch per step to a consumer (--sink) and acknowledge the step once released. Exits " +
        "when the job ends: 0 when it was complete; prints a resume token when stopped before.")
final class WorkerCommand implements Callable<Integer>
{
    @Option(names = "--coordinator", required = true, paramLabel = "HOST:PORT", description = "The coordinator.")
    String coordinator;

    @Option(names = "--rank", required = true, description = "This worker's rank, from 0.")
    int rank;

    @Option(names = "--job", defaultValue = "", paramLabel = "NAME",
        description = "The job this worker belongs to, one of several a coordinator runs at once: at most 64 of " +
        "[A-Za-z0-9._-]; --job-token-file then holds that job's token (`stoker token --job NAME`). " +
        "Default: the default job.")
    String job;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
        description = "UDP endpoint for the coordinator's messages and the data servers' read data.")
    String listen;

    @Mixin
    SinkOptions sinkOptions;

    @Option(names = "--transport", paramLabel = "local|rdma|udp",
        description = "Use only this transport (default: the best that reaches each server).")
    String transport;

    @Option(names = "--buffers", defaultValue = "" + WorkerContext.DEFAULT_BUFFER_COUNT,
        description = "Buffers to read ahead in, each as large as the largest chunk; with batches the worker adds " +
        "what one step's shuffle windows need. Default: ${DEFAULT-VALUE}.")
    int buffers;

    @Option(names = "--reads-in-flight", defaultValue = "" + WorkerContext.DEFAULT_READS_IN_FLIGHT,
        description = "Reads in flight per data server. Default: ${DEFAULT-VALUE}.")
    int readsInFlight;

    @Option(names = "--read-timeout", defaultValue = "2000", paramLabel = "MS",
        description = "A read with no progress for this long is retried on another server; a server that sends " +
        "nothing for a quarter of it while reads wait is taken as down, and its reads go to a replica at once. " +
        "Default: ${DEFAULT-VALUE}.")
    long readTimeoutMs;

    @Option(names = "--resume-from", paramLabel = "TOKEN",
        description = "A resume token of this rank from an earlier run: skip what it says was consumed.")
    String resumeFrom;

    @Option(names = "--step-time", defaultValue = "0", paramLabel = "MICROS",
        description = "Hold each batch this long before releasing it, as a training step would. " +
            "Default: ${DEFAULT-VALUE}.")
    long stepMicros;

    @Option(names = "--report", paramLabel = "FILE",
        description = "Write a JSON report of the steps this rank delivered, per epoch, with their samples' ids and " +
        "the CRC32C its consumer computed over the samples' bytes.")
    Path report;

    @Mixin
    NodeOptions node;

    @Mixin
    MetricsOptions metrics;

    private volatile boolean interrupted;

    @Override
    public Integer call() throws Exception
    {
        Endpoints.check("--coordinator", coordinator);
        Endpoints.check("--listen", listen);
        sinkOptions.check();
        final Path shmDirectory = sinkOptions.shmDirectory();
        if (SinkOptions.SHM.equals(sinkOptions.sink))
        {
            return run(new ShmSinkFactory(shmDirectory), null);
        }
        if (SinkOptions.SHM_GPU.equals(sinkOptions.sink))
        {
            return run(new ShmGpuSinkFactory(shmDirectory, sinkOptions.gpuSink(rank)), null);
        }
        if (sinkOptions.isGpu())
        {
            final GpuSinkFactory gpu = sinkOptions.gpuSink(rank);
            System.out.println("stoker worker rank " + rank + ": chunks go to " + gpu.description());
            return run(gpu, gpu);
        }
        return run(SinkFactory.HOST, null);
    }

    /**
     * Run the worker with this sink until its job ends: a {@link ShmFeedAgent} for a channel sink, else an
     * in-process consumer that holds each batch for --step-time.
     */
    private <C extends Chunk> int run(final SinkFactory<C> sink, final GpuSinkFactory gpu) throws Exception
    {
        final ChannelSinkFactory<C> shm = sink instanceof ChannelSinkFactory ? (ChannelSinkFactory<C>)sink : null;
        final String owner = "stoker worker rank " + rank;
        final DeliveryLog log = new DeliveryLog(null != report);
        final long startNs = System.nanoTime();
        try (ShutdownSignalBarrier ignoredBarrier = new ShutdownSignalBarrier(() -> interrupted = true);
            EmbeddedWorker<C> worker = EmbeddedWorker.start(options(owner), sink);
            MetricsEndpoint ignoredMetrics = metrics.start("stoker worker", worker.aeronDirectory()))
        {
            System.out.println(owner + ": joining " + coordinator + " (counters in " + worker.aeronDirectory() + ")");
            final Agent consumer;
            final ShmFeedAgent<C> shmAgent;
            if (null != shm)
            {
                shmAgent = new ShmFeedAgent<>(worker.agent(), shm,
                    new ShmFeedAgent.Settings().leaseMs(sinkOptions.consumerLeaseMs),
                    batch -> log.onBatch(rank, batch), ex -> System.err.println(owner + ": " + ex.getMessage()));
                consumer = shmAgent;
                System.out.println(owner + ": channel in " + shm.directory());
            }
            else
            {
                shmAgent = null;
                consumer = new ConsumerAgent<>(rank, worker.feed(), log, TimeUnit.MICROSECONDS.toNanos(stepMicros));
            }
            final IdleStrategy idle = new BackoffIdleStrategy();
            try
            {
                while (!interrupted && (null != shmAgent ? !shmAgent.isEnded() && !shmAgent.isConsumerLost() :
                    !worker.feed().isFinished()))
                {
                    idle.idle(consumer.doWork());
                }
            }
            finally
            {
                consumer.onClose();
                if (null != shm)
                {
                    shm.directory().toFile().delete();
                }
            }
            if (null != shmAgent && shmAgent.isConsumerLost())
            {
                System.err.println(owner + ": the consumer stopped (no heartbeat for " + sinkOptions.consumerLeaseMs +
                    " ms); exiting without acknowledging what it did not release");
                return StokerCli.EXIT_INCOMPLETE;
            }
            if (worker.agent().isSuperseded())
            {
                System.err.println(owner + ": a newer worker of rank " + rank + " took the rank over; this one " +
                    "stopped, and its report holds what it delivered before");
            }
            if (interrupted && null != worker.resumeToken())
            {
                System.out.println(owner + ": resume token " + worker.resumeToken());
            }
            final int exit = finish(worker.agent(), log, System.nanoTime() - startNs);
            final GpuSinkFactory checked = null != gpu ? gpu :
                sink instanceof ShmGpuSinkFactory ? ((ShmGpuSinkFactory)sink).gpu() : null;
            if (null != checked && checked.verifiesOnDevice())
            {
                System.out.println(owner + ": checksums on the device: " + checked.checks().matched() + " matched, " +
                    checked.checks().mismatches().size() + " differed");
                return 0 == exit && checked.checks().mismatches().isEmpty() ? 0 : StokerCli.EXIT_INCOMPLETE;
            }
            return exit;
        }
    }

    private EmbeddedWorker.Options options(final String owner)
    {
        return new EmbeddedWorker.Options()
            .coordinator(coordinator)
            .listen(listen)
            .rank(rank)
            .hostId(node.hostId())
            .jobToken(node.token(owner))
            .jobName(job)
            .buffers(buffers)
            .readsInFlight(readsInFlight)
            .readTimeoutNs(TimeUnit.MILLISECONDS.toNanos(readTimeoutMs))
            .transport(null != transport ? TransportKind.fromLabel(transport) : null)
            .resumeFrom(null != resumeFrom ? ResumeToken.parse(resumeFrom) : null)
            .driver(node.driver("worker-" + rank))
            .transports(rdmaTransport(node.rdma(owner)))
            .errorHandler(ex -> System.err.println(owner + ": " + ex.getMessage()))
            .logger(line -> System.out.println("stoker " + line));
    }

    private static Consumer<WorkerContext<?>> rdmaTransport(final RdmaCapability rdma)
    {
        return ctx ->
        {
            if (rdma.isAvailable())
            {
                ctx.addTransport(c -> new RdmaTransport(rdma, RdmaSettings.DEFAULTS, c.readsInFlight(), c.nanoClock(),
                    c.registration()));
            }
        };
    }

    private int finish(final WorkerAgent<?> worker, final DeliveryLog log, final long elapsedNs)
        throws IOException
    {
        final WorkerJob job = worker.job();
        if (null == job)
        {
            System.out.println("stoker worker rank " + rank + ": no job started");
            return StokerCli.EXIT_INCOMPLETE;
        }
        final ToLongFunction<CounterType> counters = type -> worker.counters().get(type).get();
        final RunSummary summary = new RunSummary(
            "worker rank " + rank,
            job.layout(),
            job.spec(),
            null != worker.outcome(),
            worker.outcome(),
            interrupted ? "interrupted" : null,
            elapsedNs,
            List.of(RunSummary.RankFigures.ofHost(rank, counters, TransportKind.describe(worker.transportsInUse()))),
            List.of(),
            counters.applyAsLong(CounterType.CHECKSUM_FAILURES),
            counters.applyAsLong(CounterType.READ_RETRIES),
            counters.applyAsLong(CounterType.DUPLICATES_DROPPED),
            counters.applyAsLong(CounterType.CHUNKS_UNAVAILABLE),
            counters.applyAsLong(CounterType.ERRORS),
            RunSummary.BytesRead.of(counters));
        System.out.print(summary.text());
        if (null != report)
        {
            RunReport.write(report, null, null, summary, new DeliveryLog[]{ log });
        }
        return worker.outcome() == JobOutcome.COMPLETE ? 0 : StokerCli.EXIT_INCOMPLETE;
    }
}
