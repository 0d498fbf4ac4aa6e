package io.stoker.worker;

import io.stoker.plan.BatchSpec;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.udp.UdpTransport;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SystemNanoClock;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A worker agent inside the caller's process, joined to a remote coordinator: what a training job
 * embeds. It starts its own media driver (or joins one), runs the agent on a thread of its own (with
 * the driver's and Aeron client's duty cycles when the driver context is {@code invoked}), and gives the
 * training loop the {@link #feed()} to take batches from: one per step of the rank's stream, whatever the job's
 * batch size (the chunk feed gives one piece of a chunk per step).
 *
 * <pre>{@code
 * try (EmbeddedWorker<HostChunk> worker = EmbeddedWorker.start(new EmbeddedWorker.Options()
 *     .coordinator("10.0.0.1:7400").listen("10.0.0.7:7410").rank(3).jobToken(JobToken.read(tokenFile))))
 * {
 *     Batch<HostChunk> batch;
 *     while (null != (batch = worker.feed().take(idle)))
 *     {
 *         for (int i = 0; i < batch.size(); i++)
 *         {
 *             train(batch.chunk(i).buffer(), batch.offset(i), batch.length(i));
 *         }
 *         batch.release();
 *     }
 * }
 * }</pre>
 *
 * @param <C> the kind of chunk the training loop receives.
 */
public final class EmbeddedWorker<C extends Chunk> implements AutoCloseable
{
    private final AeronConnector connector;
    private final WorkerAgent<C> agent;
    private final AgentRunner runner;

    private EmbeddedWorker(final AeronConnector connector, final WorkerAgent<C> agent, final ErrorHandler errorHandler)
    {
        this.connector = connector;
        this.agent = agent;
        this.runner = new AgentRunner(
            new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200)),
            errorHandler, agent.counters().get(CounterType.AGENT_ERRORS),
            connector.isInvoked() ? new CompositeAgent(connector.invoker(), agent) : agent);
        AgentRunner.startOnThread(runner);
    }

    /**
     * Start a worker whose chunks stay in host memory.
     */
    public static EmbeddedWorker<HostChunk> start(final Options options)
    {
        return start(options, SinkFactory.HOST);
    }

    /**
     * Start a worker with the given sink, e.g. a GPU sink.
     */
    public static <C extends Chunk> EmbeddedWorker<C> start(final Options options, final SinkFactory<C> sinkFactory)
    {
        final AeronConnector connector = AeronConnector.connect(options.driver.errorHandler(options.errorHandler));
        try
        {
            final WorkerContext<C> ctx = new WorkerContext<>(sinkFactory)
                .aeron(connector.aeron())
                .rank(options.rank)
                .hostId(options.hostId)
                .jobToken(options.jobToken)
                .jobName(options.jobName)
                .coordinatorChannel(ControlProtocol.udpChannel(options.coordinator))
                .responseChannel(ControlProtocol.udpChannel(options.listen))
                .bufferCount(options.buffers)
                .readsInFlight(options.readsInFlight)
                .forcedTransport(options.transport)
                .resumeFrom(options.resumeFrom)
                .expectedBatches(options.batches)
                .errorHandler(options.errorHandler)
                .logger(options.logger);
            ctx.addTransport(c -> new UdpTransport(connector.aeron(), options.listen, c.registration(),
                c.hostId(), SystemNanoClock.INSTANCE, c.readsInFlight(), options.readTimeoutNs,
                c.counters().get(CounterType.INVALID_MESSAGES), c.errorHandler()));
            options.transportHook.accept(ctx);
            return new EmbeddedWorker<>(connector, new WorkerAgent<>(ctx), options.errorHandler);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(connector);
            throw ex;
        }
    }

    /**
     * @return the training loop's end: one batch per step, in the order the worker delivers them.
     */
    public Feed<Batch<C>> feed()
    {
        return agent.feed();
    }

    /**
     * @return where the consumer is, to restart from; null before the job started.
     */
    public ResumeToken resumeToken()
    {
        return agent.resumeToken();
    }

    /**
     * @return the agent, for its counters and summary figures.
     */
    public WorkerAgent<C> agent()
    {
        return agent;
    }

    /**
     * @return the media driver directory, where {@code stoker stat --aeron-dir} reads the counters.
     */
    public String aeronDirectory()
    {
        return connector.aeronDirectoryName();
    }

    /**
     * Stop the agent and the driver. Chunks the consumer still holds become invalid.
     */
    @Override
    public void close()
    {
        CloseHelper.closeAll(runner, connector);
    }

    /**
     * How an embedded worker joins its job. Coordinator, listen endpoint and rank are required.
     */
    public static final class Options
    {
        String coordinator;
        String listen;
        int rank = -1;
        JobToken jobToken;
        String jobName = "";
        String hostId;
        int buffers = WorkerContext.DEFAULT_BUFFER_COUNT;
        int readsInFlight = WorkerContext.DEFAULT_READS_IN_FLIGHT;
        long readTimeoutNs = TimeUnit.SECONDS.toNanos(2);
        TransportKind transport;
        ResumeToken resumeFrom;
        BatchSpec batches;
        AeronConnector.Context driver = new AeronConnector.Context();
        ErrorHandler errorHandler = ex -> System.err.println("stoker worker: " + ex.getMessage());
        Consumer<String> logger = System.out::println;
        Consumer<WorkerContext<?>> transportHook = ctx -> {};

        /**
         * @param endpoint the coordinator's HOST:PORT.
         * @return this.
         */
        public Options coordinator(final String endpoint)
        {
            this.coordinator = endpoint;
            return this;
        }

        /**
         * @param endpoint HOST:PORT where this worker receives the coordinator's messages and read data.
         * @return this.
         */
        public Options listen(final String endpoint)
        {
            this.listen = endpoint;
            return this;
        }

        public Options rank(final int rank)
        {
            this.rank = rank;
            return this;
        }

        /**
         * @param token the job's token; null when the coordinator asks for none.
         * @return this.
         */
        public Options jobToken(final JobToken token)
        {
            this.jobToken = token;
            return this;
        }

        /**
         * @param name the job this worker belongs to, "" for the default job; {@link #jobToken} is that job's token.
         * @return this.
         */
        public Options jobName(final String name)
        {
            this.jobName = name;
            return this;
        }

        /**
         * @param hostId this machine's id, null for the default: servers with the same id are read from their files.
         * @return this.
         */
        public Options hostId(final String hostId)
        {
            this.hostId = hostId;
            return this;
        }

        public Options buffers(final int count)
        {
            this.buffers = count;
            return this;
        }

        public Options readsInFlight(final int reads)
        {
            this.readsInFlight = reads;
            return this;
        }

        /**
         * @param timeoutNs a read with no progress this long is retried on another server.
         * @return this.
         */
        public Options readTimeoutNs(final long timeoutNs)
        {
            this.readTimeoutNs = timeoutNs;
            return this;
        }

        /**
         * @param kind the only transport to use, or null to choose per server.
         * @return this.
         */
        public Options transport(final TransportKind kind)
        {
            this.transport = kind;
            return this;
        }

        /**
         * @param token where an earlier run of this rank's consumer stopped.
         * @return this.
         */
        public Options resumeFrom(final ResumeToken token)
        {
            this.resumeFrom = token;
            return this;
        }

        /**
         * @param batches the batches the training loop is written for (batch size, shuffle window, drop policy;
         *                {@link BatchSpec#CHUNKS} for whole chunks): a job submitted with others is refused with
         *                a message naming both. Default: null, any job's.
         * @return this.
         */
        public Options batches(final BatchSpec batches)
        {
            this.batches = batches;
            return this;
        }

        /**
         * @param driver the media driver to start or join (its directory, terms, MTU, socket buffers).
         * @return this.
         */
        public Options driver(final AeronConnector.Context driver)
        {
            this.driver = driver;
            return this;
        }

        public Options errorHandler(final ErrorHandler handler)
        {
            this.errorHandler = handler;
            return this;
        }

        /**
         * @param logger where one-line notices go.
         * @return this.
         */
        public Options logger(final Consumer<String> logger)
        {
            this.logger = logger;
            return this;
        }

        /**
         * @param hook adds transports beyond local and UDP (RDMA) to the worker's context.
         * @return this.
         */
        public Options transports(final Consumer<WorkerContext<?>> hook)
        {
            this.transportHook = hook;
            return this;
        }
    }
}
