package io.stoker.coordinator;

import io.aeron.Aeron;
import io.stoker.transport.control.ControlProtocol;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.concurrent.TimeUnit;

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

    private Aeron aeron;
    private String controlChannel = ControlProtocol.IPC_CHANNEL;
    private long leaseTimeoutNs = DEFAULT_LEASE_TIMEOUT_NS;
    private long heartbeatIntervalNs = DEFAULT_HEARTBEAT_INTERVAL_NS;
    private int epochLookahead = DEFAULT_EPOCH_LOOKAHEAD;
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private ErrorHandler errorHandler = Throwable::printStackTrace;

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
        if (epochLookahead < 0)
        {
            throw new IllegalStateException("epoch lookahead must be >= 0, was " + epochLookahead);
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
