package io.stoker.coordinator;

import io.aeron.Aeron;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.session.JobToken;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Configuration of a {@link CoordinatorAgent}, with its defaults in one place.
 */
public final class CoordinatorContext
{
    /**
     * A member not heard from for this long loses its lease.
     */
    public static final long DEFAULT_LEASE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /**
     * How often members renew their leases.
     */
    public static final long DEFAULT_HEARTBEAT_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(500);

    /**
     * Epochs planned ahead of the oldest open one, so a rank that finishes its slice reads on
     * instead of waiting at the epoch boundary for the slowest rank.
     */
    public static final int DEFAULT_EPOCH_LOOKAHEAD = 1;

    /**
     * Handshakes in progress at once, at most: what strangers can make the coordinator hold.
     */
    public static final int DEFAULT_MAX_PENDING_SESSIONS = 64;

    /**
     * How long a member's handshake may take.
     */
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /**
     * Largest world size a job may have.
     */
    public static final int DEFAULT_MAX_WORLD_SIZE = 65_536;

    /**
     * Jobs one coordinator keeps at once, running or finished; beyond, the oldest finished job no member holds is
     * forgotten.
     */
    public static final int DEFAULT_MAX_JOBS = 64;

    private Aeron aeron;
    private String controlChannel = ControlProtocol.IPC_CHANNEL;
    private long leaseTimeoutNs = DEFAULT_LEASE_TIMEOUT_NS;
    private long heartbeatIntervalNs = DEFAULT_HEARTBEAT_INTERVAL_NS;
    private int epochLookahead = DEFAULT_EPOCH_LOOKAHEAD;
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    /**
     * Acknowledgements between checkpoints: a checkpoint only bounds how much of the journal a restart replays.
     */
    public static final int DEFAULT_CHECKPOINT_INTERVAL = 1024;

    private ErrorHandler errorHandler = Throwable::printStackTrace;
    private Consumer<String> logger = System.err::println;
    private JobToken jobToken;
    private Path checkpointDirectory;
    private Path ackLogFile;
    private int checkpointInterval = DEFAULT_CHECKPOINT_INTERVAL;
    private int maxPendingSessions = DEFAULT_MAX_PENDING_SESSIONS;
    private long handshakeTimeoutNs = DEFAULT_HANDSHAKE_TIMEOUT_NS;
    private int maxWorldSize = DEFAULT_MAX_WORLD_SIZE;
    private int maxJobs = DEFAULT_MAX_JOBS;

    /**
     * Check the configuration before an agent uses it.
     *
     * @return this.
     * @throws IllegalStateException naming what is missing or inconsistent.
     */
    public CoordinatorContext conclude()
    {
        if (null == aeron)
        {
            throw new IllegalStateException("coordinator needs a connected Aeron client");
        }
        if (heartbeatIntervalNs <= 0 || leaseTimeoutNs <= 2 * heartbeatIntervalNs)
        {
            throw new IllegalStateException("lease timeout (" + leaseTimeoutNs + " ns) must exceed two heartbeat " +
                "intervals (" + heartbeatIntervalNs + " ns)");
        }
        if (checkpointInterval < 1)
        {
            throw new IllegalStateException("checkpoint interval must be >= 1, was " + checkpointInterval);
        }
        if (epochLookahead < 0)
        {
            throw new IllegalStateException("epoch lookahead must be >= 0, was " + epochLookahead);
        }
        if (maxPendingSessions < 1 || handshakeTimeoutNs <= 0 || maxWorldSize < 1 || maxJobs < 1)
        {
            throw new IllegalStateException("max pending sessions (" + maxPendingSessions + "), handshake timeout (" +
                handshakeTimeoutNs + " ns), max world size (" + maxWorldSize + ") and max jobs (" + maxJobs +
                ") must be positive");
        }
        return this;
    }

    public Aeron aeron()
    {
        return aeron;
    }

    public CoordinatorContext aeron(final Aeron aeron)
    {
        this.aeron = aeron;
        return this;
    }

    /**
     * @return the channel the coordinator listens on: {@code aeron:ipc} on one host, a UDP endpoint otherwise.
     */
    public String controlChannel()
    {
        return controlChannel;
    }

    public CoordinatorContext controlChannel(final String channel)
    {
        this.controlChannel = channel;
        return this;
    }

    public long leaseTimeoutNs()
    {
        return leaseTimeoutNs;
    }

    public CoordinatorContext leaseTimeoutNs(final long timeoutNs)
    {
        this.leaseTimeoutNs = timeoutNs;
        return this;
    }

    public long heartbeatIntervalNs()
    {
        return heartbeatIntervalNs;
    }

    public CoordinatorContext heartbeatIntervalNs(final long intervalNs)
    {
        this.heartbeatIntervalNs = intervalNs;
        return this;
    }

    public int epochLookahead()
    {
        return epochLookahead;
    }

    public CoordinatorContext epochLookahead(final int epochs)
    {
        this.epochLookahead = epochs;
        return this;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    public CoordinatorContext nanoClock(final NanoClock clock)
    {
        this.nanoClock = clock;
        return this;
    }

    /**
     * @return the token members must prove, or null to admit any member (one-host runs).
     */
    public JobToken jobToken()
    {
        return jobToken;
    }

    public CoordinatorContext jobToken(final JobToken token)
    {
        this.jobToken = token;
        return this;
    }

    /**
     * @return where the job's progress is journaled and checkpointed, or null for neither (no restart resumes).
     */
    public Path checkpointDirectory()
    {
        return checkpointDirectory;
    }

    public CoordinatorContext checkpointDirectory(final Path directory)
    {
        this.checkpointDirectory = directory;
        return this;
    }

    /**
     * @return where each counted acknowledgement is appended as {@code epoch segment stream step rank}, or null;
     * with a checkpoint directory it is written anew from the journal at start-up.
     */
    public Path ackLogFile()
    {
        return ackLogFile;
    }

    public CoordinatorContext ackLogFile(final Path file)
    {
        this.ackLogFile = file;
        return this;
    }

    public int checkpointInterval()
    {
        return checkpointInterval;
    }

    /**
     * @param acknowledgements new acknowledgements that trigger a checkpoint; epochs' ends always do.
     * @return this.
     */
    public CoordinatorContext checkpointInterval(final int acknowledgements)
    {
        this.checkpointInterval = acknowledgements;
        return this;
    }

    public int maxPendingSessions()
    {
        return maxPendingSessions;
    }

    /**
     * @param sessions most handshakes in progress at once; a Hello beyond is refused.
     * @return this.
     */
    public CoordinatorContext maxPendingSessions(final int sessions)
    {
        this.maxPendingSessions = sessions;
        return this;
    }

    public long handshakeTimeoutNs()
    {
        return handshakeTimeoutNs;
    }

    /**
     * @param timeoutNs how long a member's handshake may take before it is given up.
     * @return this.
     */
    public CoordinatorContext handshakeTimeoutNs(final long timeoutNs)
    {
        this.handshakeTimeoutNs = timeoutNs;
        return this;
    }

    public int maxWorldSize()
    {
        return maxWorldSize;
    }

    /**
     * @param worldSize the largest world size a submitted job may have.
     * @return this.
     */
    public CoordinatorContext maxWorldSize(final int worldSize)
    {
        this.maxWorldSize = worldSize;
        return this;
    }

    public int maxJobs()
    {
        return maxJobs;
    }

    /**
     * @param jobs the most jobs the coordinator keeps at once, running or finished: a member of a new job is
     *             admitted beyond them only by forgetting the job that finished first, and refused while every
     *             job kept is unfinished.
     * @return this.
     */
    public CoordinatorContext maxJobs(final int jobs)
    {
        this.maxJobs = jobs;
        return this;
    }

    /**
     * @return where one-line notices go.
     */
    public Consumer<String> logger()
    {
        return logger;
    }

    public CoordinatorContext logger(final Consumer<String> logger)
    {
        this.logger = logger;
        return this;
    }

    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    public CoordinatorContext errorHandler(final ErrorHandler handler)
    {
        this.errorHandler = handler;
        return this;
    }
}
