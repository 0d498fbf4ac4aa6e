package io.stoker.launcher;

import io.stoker.codecs.JobOutcome;
import io.stoker.coordinator.CoordinatorAgent;
import io.stoker.coordinator.CoordinatorContext;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.JobSpec;
import io.stoker.server.DataServerAgent;
import io.stoker.server.DataServerContext;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.Chunk;
import io.stoker.worker.SinkFactory;
import io.stoker.worker.WorkerAgent;
import io.stoker.worker.WorkerContext;
import io.stoker.worker.gpu.GpuSinkFactory;
import io.stoker.worker.shm.ChannelSinkFactory;
import io.stoker.worker.shm.ShmFeedAgent;
import io.stoker.worker.shm.ShmGpuSinkFactory;
import io.stoker.worker.shm.ShmSinkFactory;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.status.AtomicCounter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * A coordinator, a data server and N workers in one JVM over an embedded media driver and
 * {@code aeron:ipc}: what {@code stoker local} runs. Each worker runs on its own thread together with
 * its consumer; the coordinator, the data server and the job's client share one more thread.
 */
public final class LocalCluster implements AutoCloseable
{
    /**
     * In one JVM no member can die alone, so a lease only has to outlast the longest stall of a slow
     * machine (an emulated one, a JIT storm): a member that misses it is treated as dead and its
     * chunks go to the others, which is work done twice.
     */
    static final long LEASE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    private final Settings settings;
    private final AeronConnector connector;
    private final CoordinatorAgent coordinator;
    private final DataServerAgent dataServer;
    private final JobClientAgent client;
    private final LocalTransports transports;
    private final List<WorkerAgent<?>> workers = new ArrayList<>();
    private final List<SinkFactory<?>> sinkFactories = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private final List<ShmFeedAgent<?>> shmAgents = new ArrayList<>();
    private final List<AtomicCounter> agentErrors = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final AtomicLong errorCount = new AtomicLong();
    private final long startNs;
    private volatile long endNs;

    /**
     * Start everything and submit the job.
     *
     * @param settings what to run.
     * @param handlers the consumer of each rank.
     */
    public LocalCluster(final Settings settings, final IntFunction<BatchHandler> handlers)
    {
        this.settings = settings;
        final ErrorHandler errorHandler = ex ->
        {
            errorCount.incrementAndGet();
            settings.logger.accept("stoker: " + ex.getMessage());
        };
        connector = AeronConnector.connect(new AeronConnector.Context().errorHandler(errorHandler));
        try
        {
            transports = new LocalTransports(settings.transport, settings.rdmaAddress, settings.verboseLogger);
            coordinator = new CoordinatorAgent(new CoordinatorContext()
                .aeron(connector.aeron())
                .leaseTimeoutNs(LEASE_TIMEOUT_NS)
                .errorHandler(errorHandler)
                .logger(settings.verboseLogger));
            dataServer = new DataServerAgent(transports.serve(new DataServerContext()
                .aeron(connector.aeron())
                .datasetDirectory(settings.datasetDirectory)
                .manifest(settings.manifest)
                .errorHandler(errorHandler)
                .logger(settings.verboseLogger)));
            client = new JobClientAgent(
                connector.aeron(), ControlProtocol.IPC_CHANNEL, ControlProtocol.IPC_CHANNEL, null, "",
                settings.spec(), errorHandler);
            // No checkpoint directory, so the journal agent only counts what it takes: it may share the thread.
            agents.add(new CompositeAgent(coordinator, coordinator.journalAgent(), dataServer, client));
            agentErrors.add(coordinator.counters().get(CounterType.AGENT_ERRORS));

            for (int rank = 0; rank < settings.workers; rank++)
            {
                if (null != settings.shmDirectory)
                {
                    startShmWorker(channelSink(rank), rank, handlers.apply(rank), errorHandler);
                }
                else
                {
                    startWorker(settings.sinkFactories.apply(rank), rank, handlers.apply(rank), errorHandler);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }

        startNs = System.nanoTime();
        for (int i = 0; i < agents.size(); i++)
        {
            runners.add(Runners.start(agents.get(i), errorHandler, agentErrors.get(i)));
        }
    }

    private <C extends Chunk> void startWorker(
        final SinkFactory<C> sinkFactory, final int rank, final BatchHandler handler, final ErrorHandler errorHandler)
    {
        final WorkerAgent<C> worker = new WorkerAgent<>(transports.read(new WorkerContext<>(sinkFactory)
            .aeron(connector.aeron())
            .rank(rank)
            .bufferCount(settings.bufferCount)
            .errorHandler(errorHandler)
            .logger(settings.verboseLogger)));
        workers.add(worker);
        sinkFactories.add(sinkFactory);
        // The consumer first: what it releases is the buffer the worker's next local read copies into.
        agents.add(new CompositeAgent(new ConsumerAgent<>(rank, worker.feed(), handler, settings.stepNs), worker));
        agentErrors.add(worker.counters().get(CounterType.AGENT_ERRORS));
    }

    /**
     * A rank whose consumer is in another process: its pool and channel in {@code DIR/rank-r}, fed by a
     * {@link ShmFeedAgent} on the worker's thread (first, so a token follows the worker's handling of releases).
     */
    private <C extends Chunk> void startShmWorker(
        final ChannelSinkFactory<C> sinkFactory, final int rank, final BatchHandler handler,
        final ErrorHandler errorHandler)
    {
        final WorkerAgent<C> worker = new WorkerAgent<>(transports.read(new WorkerContext<>(sinkFactory)
            .aeron(connector.aeron())
            .rank(rank)
            .bufferCount(settings.bufferCount)
            .errorHandler(errorHandler)
            .logger(settings.verboseLogger)));
        workers.add(worker);
        sinkFactories.add(sinkFactory instanceof ShmGpuSinkFactory ? ((ShmGpuSinkFactory)sinkFactory).gpu() :
            sinkFactory);
        final ShmFeedAgent<C> feedAgent = new ShmFeedAgent<>(
            worker, sinkFactory, settings.shmSettings, batch -> handler.onBatch(rank, batch), errorHandler);
        shmAgents.add(feedAgent);
        agents.add(new CompositeAgent(feedAgent, worker));
        agentErrors.add(worker.counters().get(CounterType.AGENT_ERRORS));
    }

    /**
     * @return rank r's channel sink in {@code DIR/rank-r}: the GPU sink's slots exported where the rank's sink is a
     * GPU sink, else the pool in shared memory.
     */
    private ChannelSinkFactory<?> channelSink(final int rank)
    {
        final Path directory = settings.shmDirectory.resolve("rank-" + rank);
        final SinkFactory<?> sink = settings.sinkFactories.apply(rank);
        return sink instanceof GpuSinkFactory ?
            new ShmGpuSinkFactory(directory, (GpuSinkFactory)sink) : new ShmSinkFactory(directory);
    }

    /**
     * @return the first rank whose shared-memory consumer stopped heartbeating, or -1.
     */
    public int lostConsumer()
    {
        for (int rank = 0; rank < shmAgents.size(); rank++)
        {
            if (shmAgents.get(rank).isConsumerLost())
            {
                return rank;
            }
        }
        return -1;
    }

    /**
     * Wait for the job to end.
     *
     * @param timeoutNs   how long to wait.
     * @param onEachTick  called about every 200 ms while waiting, e.g. to draw progress.
     * @return true when the job completed in time (check {@link #outcome()} for missing chunks).
     */
    public boolean awaitCompletion(final long timeoutNs, final Runnable onEachTick) throws InterruptedException
    {
        return awaitCompletion(timeoutNs, onEachTick, () -> false);
    }

    /**
     * Wait for the job to end, or for the caller to stop waiting.
     *
     * @param timeoutNs  how long to wait.
     * @param onEachTick called about every 200 ms while waiting, e.g. to draw progress.
     * @param stop       asked on each tick: true ends the wait, e.g. when the process was told to stop.
     * @return true when the job completed in time (check {@link #outcome()} for missing chunks).
     */
    public boolean awaitCompletion(final long timeoutNs, final Runnable onEachTick, final BooleanSupplier stop)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (!isDone())
        {
            if (System.nanoTime() - deadline > 0 || stop.getAsBoolean())
            {
                return false;
            }
            onEachTick.run();
            Thread.sleep(50);
        }
        onEachTick.run();
        return null != client.outcome();
    }

    private boolean isDone()
    {
        if (null != client.failure())
        {
            return true;
        }
        if (null == client.outcome())
        {
            return false;
        }
        for (final WorkerAgent<?> worker : workers)
        {
            if (!worker.feed().isFinished())
            {
                return false;
            }
        }
        for (final ShmFeedAgent<?> shmAgent : shmAgents)
        {
            if (!shmAgent.isEnded())
            {
                return false;
            }
        }
        if (0 == endNs)
        {
            endNs = System.nanoTime();
        }
        return true;
    }

    /**
     * @return how the job ended, or null while it runs.
     */
    public JobOutcome outcome()
    {
        return client.outcome();
    }

    /**
     * @return why the coordinator refused the job, or null.
     */
    public String failure()
    {
        return client.failure();
    }

    /**
     * @return the job's client, with the per-epoch results.
     */
    public JobClientAgent client()
    {
        return client;
    }

    public CoordinatorAgent coordinator()
    {
        return coordinator;
    }

    public List<WorkerAgent<?>> workers()
    {
        return workers;
    }

    /**
     * @param rank a rank.
     * @return where its chunks go.
     */
    public SinkFactory<?> sinkFactory(final int rank)
    {
        return sinkFactories.get(rank);
    }

    /**
     * @return the client connected to the embedded media driver.
     */
    public AeronConnector connector()
    {
        return connector;
    }

    /**
     * @return errors reported by any component so far.
     */
    public long errorCount()
    {
        return errorCount.get();
    }

    /**
     * @return nanoseconds from start to the end of the job, or to now while it runs.
     */
    public long elapsedNs()
    {
        return (0 != endNs ? endNs : System.nanoTime()) - startNs;
    }

    /**
     * @param type a worker counter.
     * @return its sum over all workers.
     */
    public long workerTotal(final CounterType type)
    {
        long total = 0;
        for (final WorkerAgent<?> worker : workers)
        {
            total += worker.counters().get(type).get();
        }
        return total;
    }

    /**
     * @param rank a rank.
     * @param type a worker counter.
     * @return its value.
     */
    public long workerCounter(final int rank, final CounterType type)
    {
        final AtomicCounter counter = workers.get(rank).counters().get(type);
        return counter.get();
    }

    public Settings settings()
    {
        return settings;
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(runners);
        CloseHelper.quietClose(connector);
    }

    /**
     * What a local run feeds, and how.
     */
    public static final class Settings
    {
        final Path datasetDirectory;
        final Manifest manifest;
        int workers = 1;
        int epochs = 1;
        long seed;
        BatchSpec batchSpec = BatchSpec.CHUNKS;
        JobSpec resumed;
        int bufferCount = WorkerContext.DEFAULT_BUFFER_COUNT;
        IntFunction<SinkFactory<?>> sinkFactories = rank -> SinkFactory.HOST;
        Path shmDirectory;
        ShmFeedAgent.Settings shmSettings = new ShmFeedAgent.Settings();
        long stepNs;
        TransportKind transport;
        String rdmaAddress;
        Consumer<String> logger = System.err::println;
        Consumer<String> verboseLogger = line -> {};

        /**
         * @param datasetDirectory where the shard files are.
         * @param manifest         the dataset's manifest.
         */
        public Settings(final Path datasetDirectory, final Manifest manifest)
        {
            this.datasetDirectory = datasetDirectory;
            this.manifest = manifest;
        }

        public Settings workers(final int workers)
        {
            this.workers = workers;
            return this;
        }

        public Settings epochs(final int epochs)
        {
            this.epochs = epochs;
            return this;
        }

        public Settings seed(final long seed)
        {
            this.seed = seed;
            return this;
        }

        /**
         * Run a resumed job (from {@link io.stoker.worker.ResumeToken#resume(int, int)}): its world size, epochs,
         * seed, batches and the history of the epoch it resumes in, in place of the other settings' job.
         *
         * @param spec the resumed job, or null for none.
         */
        public Settings resumed(final JobSpec spec)
        {
            resumed = spec;
            if (null == spec)
            {
                return this;
            }
            workers = spec.worldSize();
            epochs = spec.epochs();
            seed = spec.seed();
            batchSpec = spec.batchSpec();
            return this;
        }

        /**
         * @param spec how samples are handed to each rank's consumer; {@link BatchSpec#CHUNKS} (the default) hands
         *             whole chunks.
         * @return this.
         */
        public Settings batchSpec(final BatchSpec spec)
        {
            this.batchSpec = spec;
            return this;
        }

        public Settings bufferCount(final int count)
        {
            this.bufferCount = count;
            return this;
        }

        /**
         * @param factory where every rank's chunks go: {@link SinkFactory#HOST} (the default) keeps them in
         *                host memory.
         * @return this.
         */
        public Settings sink(final SinkFactory<?> factory)
        {
            return sinks(rank -> factory);
        }

        /**
         * @param factories where each rank's chunks go, e.g. a GPU sink on device {@code rank % devices}.
         * @return this.
         */
        public Settings sinks(final IntFunction<SinkFactory<?>> factories)
        {
            this.sinkFactories = factories;
            return this;
        }

        /**
         * Hand every rank's batches to a consumer in another process through shared memory: rank r's pool and
         * channel in {@code directory/rank-r} (see {@link io.stoker.worker.shm.ChannelLayout}), in place of the
         * in-process consumers; a rank whose sink is a GPU sink exports its device slots, the others put their
         * pools in shared memory; the batch handlers see each batch as it enters the channel.
         *
         * @param directory where the ranks' directories go, or null for in-process consumers.
         * @param shm       the channels' ring size and consumer lease.
         * @return this.
         */
        public Settings shm(final Path directory, final ShmFeedAgent.Settings shm)
        {
            this.shmDirectory = directory;
            this.shmSettings = shm;
            return this;
        }

        /**
         * @param nanos how long each consumer holds a batch, as a training step would; 0 releases at once.
         * @return this.
         */
        public Settings stepNs(final long nanos)
        {
            this.stepNs = nanos;
            return this;
        }

        /**
         * @param kind the only transport workers may use, or null (the default) for the best that reaches the
         *             data server: same-host reads.
         * @return this.
         */
        public Settings transport(final TransportKind kind)
        {
            this.transport = kind;
            return this;
        }

        /**
         * @param address IP address of the RDMA device to serve and read over, or null (the default) for the
         *                first RDMA device's.
         * @return this.
         */
        public Settings rdmaAddress(final String address)
        {
            this.rdmaAddress = address;
            return this;
        }

        /**
         * @param logger where errors go, one line each.
         * @return this.
         */
        public Settings logger(final Consumer<String> logger)
        {
            this.logger = logger;
            return this;
        }

        /**
         * @param logger where notices go (transport choices, advertisements); silent by default.
         * @return this.
         */
        public Settings verboseLogger(final Consumer<String> logger)
        {
            this.verboseLogger = logger;
            return this;
        }

        public Manifest manifest()
        {
            return manifest;
        }

        public int workers()
        {
            return workers;
        }

        public int epochs()
        {
            return epochs;
        }

        public long seed()
        {
            return seed;
        }

        /**
         * @return the job the cluster runs.
         */
        public JobSpec spec()
        {
            if (null != resumed && resumed.worldSize() == workers && resumed.epochs() == epochs &&
                resumed.seed() == seed && resumed.batchSpec().equals(batchSpec))
            {
                return resumed;
            }
            return JobSpec.of(manifest.datasetId(), workers, epochs, seed, batchSpec);
        }
    }
}
