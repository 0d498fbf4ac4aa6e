package io.stoker.worker;

import io.stoker.transport.control.ControlProtocol;
import org.agrona.concurrent.NanoClock;

/**
 * What a worker knows of its own lease, on its own monotonic clock, with no clock shared with the coordinator: the
 * lease is certainly held until the latest heartbeat timestamp the coordinator echoed (taken here before the
 * coordinator renewed the lease with it) plus the lease, less a margin. A worker hands a batch to its consumer only
 * while the fence is held, so nothing it hands over can have been given to another rank yet: the coordinator ends
 * the lease no earlier than the arrival of that heartbeat plus the lease.
 * <p>
 * Each registration opens a new generation: a batch built under an older one may have been given to another rank
 * while this worker was not registered, and is dropped, not handed out. Written from the worker's agent thread;
 * {@link #isOpen()}, {@link #deadlineNs()}, {@link #generation()} and {@link #dropIfRevoked} may be called from
 * the consumer's.
 */
public final class LeaseFence implements Feed.Gate<Batch<?>>
{
    /**
     * {@link #deadlineNs()} while the lease is not held.
     */
    public static final long NOT_HELD = Long.MIN_VALUE;

    private final NanoClock clock;
    private final long marginNs;
    private long leaseNs;
    private volatile long deadlineNs = NOT_HELD;
    private volatile int generation;
    private volatile boolean retired;

    /**
     * @param clock    the worker's clock: the one its heartbeats carry.
     * @param marginNs how much earlier than the lease's certain end the fence closes.
     */
    public LeaseFence(final NanoClock clock, final long marginNs)
    {
        this.clock = clock;
        this.marginNs = marginNs;
    }

    /**
     * The coordinator accepted this worker: it granted the lease on the handshake's last message, which was sent
     * after the handshake began.
     *
     * @param handshakeStartedNs when this worker sent the first Hello of the handshake that was accepted.
     * @param leaseNs            the lease the coordinator gives.
     * @param again              true when the worker was registered before: a new generation begins.
     * @return false when the margin leaves nothing of the lease: the fence never opens.
     */
    public boolean onRegistered(final long handshakeStartedNs, final long leaseNs, final boolean again)
    {
        this.leaseNs = leaseNs;
        if (again)
        {
            generation++;
        }
        if (marginNs >= leaseNs)
        {
            deadlineNs = NOT_HELD;
            return false;
        }
        deadlineNs = handshakeStartedNs + leaseNs - marginNs;
        return true;
    }

    /**
     * The coordinator's heartbeat echoed one of this worker's heartbeat timestamps.
     *
     * @param echoTimestampNs the echoed timestamp, or {@link ControlProtocol#NO_ECHO}.
     * @param nowNs           the worker's time: an echo from the future is ignored.
     * @return true when it moved the deadline on.
     */
    public boolean onEcho(final long echoTimestampNs, final long nowNs)
    {
        final long current = deadlineNs;
        if (NOT_HELD == current || ControlProtocol.NO_ECHO == echoTimestampNs || echoTimestampNs - nowNs > 0)
        {
            return false;
        }
        final long next = echoTimestampNs + leaseNs - marginNs;
        if (next - current > 0)
        {
            deadlineNs = next;
            return true;
        }
        return false;
    }

    /**
     * The lease is lost (the coordinator said so, or this worker gave up its session): closed until the next
     * registration.
     */
    public void revoke()
    {
        deadlineNs = NOT_HELD;
    }

    /**
     * A newer incarnation of this worker's rank took the rank over: this worker will never hold a lease again.
     * Every batch not yet handed out is dropped (the gate lets the feed drain, dropping each), so the feed can end.
     */
    public void retire()
    {
        deadlineNs = NOT_HELD;
        generation++;
        retired = true;
    }

    /**
     * @return true once {@link #retire()}d.
     */
    public boolean isRetired()
    {
        return retired;
    }

    /**
     * @param nowNs the worker's time.
     * @return true while the lease is certainly held.
     */
    public boolean isHeld(final long nowNs)
    {
        final long deadline = deadlineNs;
        return NOT_HELD != deadline && nowNs - deadline < 0;
    }

    /**
     * @return when the lease may end, on the worker's clock, or {@link #NOT_HELD}.
     */
    public long deadlineNs()
    {
        return deadlineNs;
    }

    /**
     * @return the registration batches are built under now.
     */
    public int generation()
    {
        return generation;
    }

    /**
     * @return true while the lease is certainly held, by the clock read now; and once retired, so that the feed
     * drains through {@link #dropIfRevoked}, which drops every batch.
     */
    @Override
    public boolean isOpen()
    {
        return retired || isHeld(clock.nanoTime());
    }

    /**
     * A batch built under an earlier registration is given back, undelivered.
     */
    @Override
    public boolean dropIfRevoked(final Batch<?> batch)
    {
        if (batch.leaseGeneration() == generation && !retired)
        {
            return false;
        }
        batch.drop();
        return true;
    }
}
