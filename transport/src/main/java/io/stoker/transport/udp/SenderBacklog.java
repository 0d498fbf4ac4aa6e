package io.stoker.transport.udp;

import io.aeron.AeronCounters;
import io.aeron.Publication;
import org.agrona.concurrent.status.CountersReader;

/**
 * How many bytes of one network publication wait in the media driver for the link: claimed by the data server, not
 * sent yet, and allowed by the receiver's window (bytes the receiver has no room for wait on the receiver, not on
 * the link, and do not count). Read from the driver's sender position and sender limit counters of the
 * publication, found once by its registration id.
 * <p>
 * The data server sends only while the sum over its connections stays under a window, so that the order in which
 * bytes reach the link is the {@link ReadScheduler}'s and not the driver's (which takes one datagram per publication
 * in turn): without it every connection's publication fills up to its term window and the driver shares the link
 * per connection, whatever the jobs' weights.
 */
final class SenderBacklog
{
    private final Publication publication;
    private final CountersReader counters;
    private final int senderPositionId;
    private final int senderLimitId;

    /**
     * Find the publication's counters. Scans the counters file: call when a connection opens, not every cycle.
     *
     * @param publication a network publication.
     * @param counters    its driver's counters.
     */
    SenderBacklog(final Publication publication, final CountersReader counters)
    {
        this.publication = publication;
        this.counters = counters;
        this.senderPositionId = find(counters, AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID,
            publication.registrationId());
        this.senderLimitId = find(counters, AeronCounters.DRIVER_SENDER_LIMIT_TYPE_ID, publication.registrationId());
    }

    /**
     * @return bytes waiting for the link, 0 when the counters were not found.
     */
    long bytes()
    {
        if (CountersReader.NULL_COUNTER_ID == senderPositionId || CountersReader.NULL_COUNTER_ID == senderLimitId)
        {
            return 0;
        }
        final long senderPosition = counters.getCounterValue(senderPositionId);
        final long sendable = Math.min(publication.position(), counters.getCounterValue(senderLimitId));
        return Math.max(0, sendable - senderPosition);
    }

    private static int find(final CountersReader counters, final int typeId, final long registrationId)
    {
        final int[] found = {CountersReader.NULL_COUNTER_ID};
        counters.forEach((counterId, type, keyBuffer, label) ->
        {
            if (type == typeId && keyBuffer.getLong(0) == registrationId)
            {
                found[0] = counterId;
            }
        });
        return found[0];
    }
}
