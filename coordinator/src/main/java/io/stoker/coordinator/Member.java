package io.stoker.coordinator;

import io.stoker.codecs.Role;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.session.PendingSession;
import io.stoker.transport.wire.Quote;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * A worker, data server or client whose session the coordinator authenticated and admitted: its sealed
 * outbox, the opener of what it sends, its lease (and the timestamp of its latest heartbeat, which the
 * coordinator's heartbeats echo), and what a data server advertised.
 */
final class Member implements AutoCloseable
{
    final int memberId;
    final Role role;
    final int rank;
    final long incarnation;
    final String hostId;
    final int sessionId;
    final long registerCorrelationId;
    final Outbox outbox;
    final MessageOpener opener;
    final ServerAdvertisement advertisement;
    final List<byte[]> relayMessages = new ArrayList<>();
    long leaseDeadlineNs;
    long nextHeartbeatNs;
    long echoTimestampNs = ControlProtocol.NO_ECHO;

    Member(final int memberId, final PendingSession session, final long leaseDeadlineNs)
    {
        final HandshakeIdentity identity = session.identity();
        this.memberId = memberId;
        this.role = identity.role();
        this.rank = identity.role() == Role.WORKER ? identity.rank() : -1;
        this.incarnation = identity.incarnation();
        this.hostId = identity.hostId();
        this.sessionId = session.sessionId();
        this.registerCorrelationId = session.correlationId();
        this.outbox = session.outbox();
        this.opener = session.opener();
        this.leaseDeadlineNs = leaseDeadlineNs;
        this.advertisement = role == Role.DATA_SERVER ? new ServerAdvertisement(memberId) : null;
    }

    /**
     * Keep a copy of a data server's manifest part or advertisement to relay to workers that join later.
     */
    void keepRelay(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        relayMessages.add(copy);
    }

    String describe()
    {
        return switch (role)
        {
            case WORKER -> "worker rank " + rank + " (member " + memberId + ")";
            case DATA_SERVER -> "data server " + memberId + " on " + Quote.of(hostId);
            default -> "client " + memberId;
        };
    }

    @Override
    public void close()
    {
        CloseHelper.quietClose(outbox);
    }
}
