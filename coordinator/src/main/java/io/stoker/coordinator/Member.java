package io.stoker.coordinator;

import io.stoker.codecs.Role;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.Quote;
import org.agrona.CloseHelper;

/**
 * A worker, data server or client whose session the coordinator authenticated and admitted: its sealed
 * outbox, the opener of what it sends, its lease (and the timestamp of its latest heartbeat, which the
 * coordinator's heartbeats echo). Its lease is live from admission until it
 * {@link #endLease() ends}, once: a member whose lease ended is never renewed again.
 */
final class Member implements AutoCloseable
{
    final int memberId;
    final HandshakeIdentity identity;
    final Role role;
    final int rank;
    final long incarnation;
    final String hostId;
    final String jobName;
    final int sessionId;
    final long registerCorrelationId;
    final Outbox outbox;
    final MessageOpener opener;
    private long leaseDeadlineNs;
    private long nextHeartbeatNs;
    private long echoTimestampNs = ControlProtocol.NO_ECHO;
    private boolean leaseEnded;

    /**
     * @param outbox where its messages go; null only where nothing is sent to it (tests of the lease logic).
     * @param opener opens what it sends; null likewise.
     */
    Member(
        final int memberId,
        final HandshakeIdentity identity,
        final int sessionId,
        final long registerCorrelationId,
        final Outbox outbox,
        final MessageOpener opener,
        final long leaseDeadlineNs)
    {
        this.memberId = memberId;
        this.identity = identity;
        this.role = identity.role();
        this.rank = identity.role() == Role.WORKER ? identity.rank() : -1;
        this.incarnation = identity.incarnation();
        this.hostId = identity.hostId();
        this.jobName = identity.jobName();
        this.sessionId = sessionId;
        this.registerCorrelationId = registerCorrelationId;
        this.outbox = outbox;
        this.opener = opener;
        this.leaseDeadlineNs = leaseDeadlineNs;
    }

    /**
     * Renew the lease: it now ends at {@code deadlineNs}.
     *
     * @throws IllegalStateException when the lease already ended: a member is not brought back.
     */
    void renewLease(final long deadlineNs)
    {
        if (leaseEnded)
        {
            throw new IllegalStateException("the lease of " + describe() + " ended: it is not renewed");
        }
        leaseDeadlineNs = deadlineNs;
    }

    /**
     * @return true once {@code nowNs} is past the lease's deadline; at the deadline itself the lease still holds.
     */
    boolean isExpired(final long nowNs)
    {
        return nowNs - leaseDeadlineNs > 0;
    }

    /**
     * End the lease, once: the member is expired, superseded or gone.
     *
     * @throws IllegalStateException when it already ended.
     */
    void endLease()
    {
        if (leaseEnded)
        {
            throw new IllegalStateException("the lease of " + describe() + " already ended");
        }
        leaseEnded = true;
    }

    boolean isLeaseEnded()
    {
        return leaseEnded;
    }

    /**
     * Keep the timestamp of the member's latest heartbeat, for the coordinator's heartbeats to echo.
     */
    void echo(final long timestampNs)
    {
        echoTimestampNs = timestampNs;
    }

    /**
     * @return the timestamp to echo, {@link ControlProtocol#NO_ECHO} before the member's first heartbeat.
     */
    long echoTimestampNs()
    {
        return echoTimestampNs;
    }

    boolean isHeartbeatDue(final long nowNs)
    {
        return nowNs - nextHeartbeatNs >= 0;
    }

    void heartbeatSent(final long nextHeartbeatNs)
    {
        this.nextHeartbeatNs = nextHeartbeatNs;
    }

    String describe()
    {
        return switch (role)
        {
            case WORKER -> "worker rank " + rank + " (member " + memberId + ")" + ofJob();
            case DATA_SERVER -> "data server " + memberId + " on " + Quote.of(hostId);
            default -> "client " + memberId + ofJob();
        };
    }

    private String ofJob()
    {
        return jobName.isEmpty() ? "" : " of job " + jobName;
    }

    @Override
    public void close()
    {
        CloseHelper.quietClose(outbox);
    }
}
