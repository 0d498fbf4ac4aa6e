package io.stoker.worker;

import io.stoker.transport.control.ControlProtocol;

/**
 * What a worker knows of its own lease, on its own monotonic clock, with no clock shared with the coordinator: the
 * lease is certainly held until the latest heartbeat timestamp the coordinator echoed (taken here before the
 * coordinator renewed the lease with it) plus the lease, less a margin. A defence in depth: a worker claims steps for
 * its consumer (see {@link Claims}) only while the fence is held, though the coordinator's answer alone decides
 * whether a batch is handed out. Written from the worker's agent thread; {@link #deadlineNs()} and
 * {@link #isRetired()} may be read from others.
 */
public final class LeaseFence
{
    /**
     * {@link #deadlineNs()} while the lease is not held.
     */
    public static final long NOT_HELD = Long.MIN_VALUE;

    private final long marginNs;
    private long leaseNs;
    private volatile long deadlineNs = NOT_HELD;
    private volatile boolean retired;

    /**
     * @param marginNs how much earlier than the lease's certain end the fence closes.
     */
    public LeaseFence(final long marginNs)
    {
        this.marginNs = marginNs;
    }

    /**
     * The coordinator accepted this worker: it granted the lease on the handshake's last message, which was sent
     * after the handshake began.
     *
     * @param handshakeStartedNs when this worker sent the first Hello of the handshake that was accepted.
     * @param leaseNs            the lease the coordinator gives.
     * @return false when the margin leaves nothing of the lease: the fence never opens.
     */
    public boolean onRegistered(final long handshakeStartedNs, final long leaseNs)
    {
        this.leaseNs = leaseNs;
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
     */
    public void retire()
    {
        deadlineNs = NOT_HELD;
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
}
