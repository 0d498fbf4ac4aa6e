package io.stoker.coordinator;

import io.stoker.codecs.Role;
import io.stoker.transport.control.Outbox;
import io.stoker.transport.data.ServerAdvertisement;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * A worker, data server or client that asked to register, as the coordinator sees it. It becomes
 * active once it proved the job token (when the coordinator has one) and its reply channel is connected.
 */
final class Member implements AutoCloseable
{
    final int memberId;
    final Role role;
    final int rank;
    final String hostId;
    final int sessionId;
    final long registerCorrelationId;
    final String responseChannel;
    final int responseStreamId;
    final long publicationRegistrationId;
    final ServerAdvertisement advertisement;
    final List<byte[]> relayMessages = new ArrayList<>();
    Outbox outbox;
    byte[] nonce;
    boolean authenticated;
    boolean active;
    long leaseDeadlineNs;
    long nextHeartbeatNs;

    Member(
        final int memberId,
        final Role role,
        final int rank,
        final String hostId,
        final int sessionId,
        final long registerCorrelationId,
        final String responseChannel,
        final int responseStreamId,
        final long publicationRegistrationId,
        final long leaseDeadlineNs)
    {
        this.memberId = memberId;
        this.role = role;
        this.rank = rank;
        this.hostId = hostId;
        this.sessionId = sessionId;
        this.registerCorrelationId = registerCorrelationId;
        this.responseChannel = responseChannel;
        this.responseStreamId = responseStreamId;
        this.publicationRegistrationId = publicationRegistrationId;
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

    boolean hasPublication()
    {
        return null != outbox;
    }

    String describe()
    {
        return switch (role)
        {
            case WORKER -> "worker rank " + rank + " (member " + memberId + ")";
            case DATA_SERVER -> "data server " + memberId + " on " + hostId;
            default -> "client " + memberId;
        };
    }

    public void close()
    {
        CloseHelper.quietClose(outbox);
    }
}
