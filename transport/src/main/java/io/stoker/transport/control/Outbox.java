package io.stoker.transport.control;

import io.aeron.Publication;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A publication with a queue in front: a message that cannot be offered now (back pressure, peer not
 * connected yet or reconnecting) waits in order and goes out from a later duty cycle, so control
 * messages are neither dropped nor waited for.
 */
public final class Outbox implements ExpandableRingBuffer.MessageConsumer, AutoCloseable
{
    private static final int INITIAL_CAPACITY = 64 * 1024;
    private static final int MAX_CAPACITY = 64 * 1024 * 1024;
    private static final int DRAIN_LIMIT = 64;

    private final Publication publication;
    private final ExpandableRingBuffer pending = new ExpandableRingBuffer(INITIAL_CAPACITY, MAX_CAPACITY, false);

    /**
     * @param publication where messages go; closed with the outbox.
     */
    public Outbox(final Publication publication)
    {
        this.publication = publication;
    }

    /**
     * Offer a message now, or queue it behind those already waiting.
     *
     * @return false only when the queue is full: the peer has not read for a long time.
     */
    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (pending.isEmpty() && publication.offer(buffer, offset, length) > 0)
        {
            return true;
        }
        return pending.append(buffer, offset, length);
    }

    /**
     * Send queued messages, in order, as far as the publication takes them.
     *
     * @return messages sent.
     */
    public int drain()
    {
        return pending.isEmpty() ? 0 : pending.consume(this, DRAIN_LIMIT);
    }

    /**
     * @return true when messages wait to be sent.
     */
    public boolean hasPending()
    {
        return !pending.isEmpty();
    }

    /**
     * Drop what is queued, as when the peer is gone for good.
     */
    public void clear()
    {
        pending.reset(INITIAL_CAPACITY);
    }

    /**
     * @return the publication behind this outbox.
     */
    public Publication publication()
    {
        return publication;
    }

    public boolean onMessage(final MutableDirectBuffer buffer, final int offset, final int length, final int headOffset)
    {
        return publication.offer(buffer, offset, length) > 0;
    }

    public void close()
    {
        publication.close();
    }
}
