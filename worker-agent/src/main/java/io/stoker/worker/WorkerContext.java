package io.stoker.worker;

import io.stoker.plan.BatchSpec;
import io.aeron.Aeron;
import io.stoker.transport.HostIds;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.data.WorkerRegistration;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.wire.JobNames;
import io.stoker.transport.status.StatusCounters;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.LocalTransport;
import io.stoker.transport.data.TransportKind;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Configuration of a worker agent, with its defaults in one place.
 *
 * @param <C> the kind of chunk the consumer receives.
 */
public final class WorkerContext<C extends Chunk>
{
    /**
     * Buffers in the pool: reads in flight plus chunks the consumer holds.
     */
    public static final int DEFAULT_BUFFER_COUNT = 8;

    /**
     * Reads each data-plane reader accepts at once.
     */
    public static final int DEFAULT_READS_IN_FLIGHT = 8;

    /**
     * Tries per chunk, rotating over the servers that hold it, before it is reported unavailable.
     */
    public static final int DEFAULT_MAX_READ_ATTEMPTS = 4;

    /**
     * How long a read waits for a data server of its region to be known before that counts as a failed
     * attempt: a job can start while advertisements of many shards are still on their way, and a server
     * that restarts advertises again.
     */
    public static final long DEFAULT_REGION_WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    /**
     * How much earlier than its lease's certain end a worker stops handing batches to its consumer: room for the
     * two monotonic clocks' rates to differ over a lease (parts per million) and for the instants between the
     * fence's check and the consumer holding the batch.
     */
    public static final long DEFAULT_LEASE_MARGIN_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private Aeron aeron;
    private int rank = -1;
    private String hostId;
    private String coordinatorChannel = ControlProtocol.IPC_CHANNEL;
    private String responseChannel = ControlProtocol.IPC_CHANNEL;
    private int responseStreamId;
    private long incarnation;
    private int bufferCount = DEFAULT_BUFFER_COUNT;
    private int readsInFlight = DEFAULT_READS_IN_FLIGHT;
    private int maxReadAttempts = DEFAULT_MAX_READ_ATTEMPTS;
    private long regionWaitNs = DEFAULT_REGION_WAIT_NS;
    private long leaseMarginNs = DEFAULT_LEASE_MARGIN_NS;
    private TransportKind forcedTransport;
    private final List<Function<WorkerContext<C>, DataTransport>> transportFactories = new ArrayList<>();
    private final SinkFactory<C> sinkFactory;
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private ErrorHandler errorHandler = Throwable::printStackTrace;
    private JobToken jobToken;
    private String jobName = JobNames.DEFAULT;
    private WorkerRegistration registration;
    private ResumeToken resumeFrom;
    private BatchSpec expectedBatches;
    private StatusCounters counters;
    private Consumer<String> logger = System.err::println;

    /**
     * @param sinkFactory where chunks go: {@link SinkFactory#HOST} for host memory.
     */
    public WorkerContext(final SinkFactory<C> sinkFactory)
    {
        this.sinkFactory = sinkFactory;
        transportFactories.add(ctx -> new LocalTransport(ctx.hostId()));
    }

    /**
     * @return a context for a worker whose consumer reads host memory.
     */
    public static WorkerContext<HostChunk> host()
    {
        return new WorkerContext<>(SinkFactory.HOST);
    }

    /**
     * Check the configuration and fill in what derives from it.
     *
     * @return this.
     * @throws IllegalStateException naming what is missing or wrong.
     */
    public WorkerContext<C> conclude()
    {
        if (null == aeron)
        {
            throw new IllegalStateException("worker needs a connected Aeron client");
        }
        if (rank < 0)
        {
            throw new IllegalStateException("worker rank must be >= 0, was " + rank);
        }
        if (bufferCount < 2)
        {
            throw new IllegalStateException("worker needs at least 2 buffers, was given " + bufferCount);
        }
        if (leaseMarginNs < 0)
        {
            throw new IllegalStateException("lease margin must be >= 0 ns, was " + leaseMarginNs);
        }
        if (null == hostId)
        {
            hostId = HostIds.local();
        }
        if (0 == responseStreamId)
        {
            responseStreamId = ControlProtocol.responseStreamId(aeron, responseChannel);
        }
        if (0 == incarnation)
        {
            incarnation = newIncarnation(System.currentTimeMillis());
        }
        final String jobNameRefusal = JobNames.refusal(jobName);
        if (null != jobNameRefusal)
        {
            throw new IllegalStateException(jobNameRefusal);
        }
        registration = new WorkerRegistration(rank, jobToken, jobName);
        return this;
    }

    /**
     * @return the worker's current registration with the coordinator, which transports prove to data servers
     * (made by {@link #conclude()}; the agent updates it each time the coordinator accepts the worker).
     */
    public WorkerRegistration registration()
    {
        return registration;
    }

    /**
     * @param startMs when the worker starts, ms since the Unix epoch.
     * @return an incarnation larger than any of a worker started in an earlier millisecond: the start time, with
     * 16 random bits below it so that two workers started in the same millisecond differ.
     */
    static long newIncarnation(final long startMs)
    {
        return (startMs << 16) | ThreadLocalRandom.current().nextInt(1 << 16);
    }

    /**
     * @return which start of this worker it is, larger for a later one; sent in its Hello, so that a worker
     * restarted for its rank takes the rank over from the dead one at once.
     */
    public long incarnation()
    {
        return incarnation;
    }

    /**
     * @param incarnation a positive number larger than that of any earlier start of this rank; by default one
     *                    derived from the start time.
     * @return this for a fluent API.
     */
    public WorkerContext<C> incarnation(final long incarnation)
    {
        this.incarnation = incarnation;
        return this;
    }

    public Aeron aeron()
    {
        return aeron;
    }

    public WorkerContext<C> aeron(final Aeron aeron)
    {
        this.aeron = aeron;
        return this;
    }

    public int rank()
    {
        return rank;
    }

    /**
     * @param rank this worker's rank in the job, from 0.
     * @return this.
     */
    public WorkerContext<C> rank(final int rank)
    {
        this.rank = rank;
        return this;
    }

    public String hostId()
    {
        return hostId;
    }

    /**
     * @param hostId this machine's id; data servers with the same id are read through local files.
     * @return this.
     */
    public WorkerContext<C> hostId(final String hostId)
    {
        this.hostId = hostId;
        return this;
    }

    public String coordinatorChannel()
    {
        return coordinatorChannel;
    }

    public WorkerContext<C> coordinatorChannel(final String channel)
    {
        this.coordinatorChannel = channel;
        return this;
    }

    public String responseChannel()
    {
        return responseChannel;
    }

    /**
     * @param channel where this worker listens for the coordinator: {@code aeron:ipc} on one host.
     * @return this.
     */
    public WorkerContext<C> responseChannel(final String channel)
    {
        this.responseChannel = channel;
        return this;
    }

    public int responseStreamId()
    {
        return responseStreamId;
    }

    public WorkerContext<C> responseStreamId(final int streamId)
    {
        this.responseStreamId = streamId;
        return this;
    }

    public int bufferCount()
    {
        return bufferCount;
    }

    /**
     * @param count buffers in the pool, each as large as the dataset's largest chunk.
     * @return this.
     */
    public WorkerContext<C> bufferCount(final int count)
    {
        this.bufferCount = count;
        return this;
    }

    public int readsInFlight()
    {
        return readsInFlight;
    }

    public WorkerContext<C> readsInFlight(final int reads)
    {
        this.readsInFlight = reads;
        return this;
    }

    public int maxReadAttempts()
    {
        return maxReadAttempts;
    }

    public WorkerContext<C> maxReadAttempts(final int attempts)
    {
        this.maxReadAttempts = attempts;
        return this;
    }

    public long regionWaitNs()
    {
        return regionWaitNs;
    }

    /**
     * @param waitNs how long a read waits, backing off, for a server of its region to be known before the
     *               wait counts as a failed attempt.
     * @return this.
     */
    public WorkerContext<C> regionWaitNs(final long waitNs)
    {
        this.regionWaitNs = waitNs;
        return this;
    }

    public long leaseMarginNs()
    {
        return leaseMarginNs;
    }

    /**
     * @param marginNs how much earlier than its lease's certain end (the latest heartbeat the coordinator echoed
     *                 plus the lease) the worker stops handing batches to its consumer; default
     *                 {@link #DEFAULT_LEASE_MARGIN_NS}. It must be shorter than the coordinator's lease.
     * @return this.
     */
    public WorkerContext<C> leaseMarginNs(final long marginNs)
    {
        this.leaseMarginNs = marginNs;
        return this;
    }

    /**
     * @return the only transport the worker may use, or null to choose per server.
     */
    public TransportKind forcedTransport()
    {
        return forcedTransport;
    }

    public WorkerContext<C> forcedTransport(final TransportKind kind)
    {
        this.forcedTransport = kind;
        return this;
    }

    /**
     * Add a transport, made when the worker starts. The local transport is always present.
     *
     * @return this.
     */
    public WorkerContext<C> addTransport(final Function<WorkerContext<C>, DataTransport> factory)
    {
        transportFactories.add(factory);
        return this;
    }

    List<Function<WorkerContext<C>, DataTransport>> transportFactories()
    {
        return transportFactories;
    }

    public SinkFactory<C> sinkFactory()
    {
        return sinkFactory;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    public WorkerContext<C> nanoClock(final NanoClock clock)
    {
        this.nanoClock = clock;
        return this;
    }

    /**
     * @return where one-line notices go, such as which transport reaches which server.
     */
    public Consumer<String> logger()
    {
        return logger;
    }

    public WorkerContext<C> logger(final Consumer<String> logger)
    {
        this.logger = logger;
        return this;
    }

    /**
     * @return the job this worker belongs to, "" for the default job.
     */
    public String jobName()
    {
        return jobName;
    }

    /**
     * @param name the job this worker belongs to ({@link JobNames}): its Hellos name it, and the coordinator and the
     *             data servers check its proofs under that job's token, which {@link #jobToken(JobToken)} must be.
     * @return this for a fluent API.
     */
    public WorkerContext<C> jobName(final String name)
    {
        this.jobName = name;
        return this;
    }

    /**
     * @return the job token this member proves to the coordinator, or null when it asks for none.
     */
    public JobToken jobToken()
    {
        return jobToken;
    }

    public WorkerContext<C> jobToken(final JobToken token)
    {
        this.jobToken = token;
        return this;
    }

    /**
     * @return where a restarted consumer left off, or null to start at the beginning.
     */
    public ResumeToken resumeFrom()
    {
        return resumeFrom;
    }

    /**
     * @param token from {@link WorkerAgent#resumeToken()} of an earlier run of this rank.
     * @return this.
     */
    public WorkerContext<C> resumeFrom(final ResumeToken token)
    {
        this.resumeFrom = token;
        return this;
    }

    /**
     * @return the batches the consumer is written for, or null to take a job's whatever they are.
     */
    public BatchSpec expectedBatches()
    {
        return expectedBatches;
    }

    /**
     * @param batches the batches the consumer is written for: a job submitted with others is refused, with a
     *                message naming both, rather than fed to a loop that would misread it; null takes any.
     * @return this.
     */
    public WorkerContext<C> expectedBatches(final BatchSpec batches)
    {
        this.expectedBatches = batches;
        return this;
    }

    /**
     * @return the component's counters once its agent allocated them, for the transports it makes.
     */
    public StatusCounters counters()
    {
        return counters;
    }

    WorkerContext<C> counters(final StatusCounters counters)
    {
        this.counters = counters;
        return this;
    }

    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    public WorkerContext<C> errorHandler(final ErrorHandler handler)
    {
        this.errorHandler = handler;
        return this;
    }
}
