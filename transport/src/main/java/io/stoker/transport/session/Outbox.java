package io.stoker.transport.session;

import io.aeron.Publication;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A publication with a queue in front: a message that cannot be offered now (back pressure, peer not
 * connected yet or reconnecting) waits in order and goes out from a later duty cycle, so messages are
 * neither dropped nor waited for. Once its session is authenticated the outbox {@link #seal seals}
 * every message it sends, but the handshake's own.
 */
public final class Outbox implements ExpandableRingBuffer.MessageConsumer, AutoCloseable
{
    private static final int INITIAL_CAPACITY = 4 * 1024;
    private static final int SEALED_COPY_CAPACITY = 1024;
    private static final int MAX_CAPACITY = 64 * 1024 * 1024;
    private static final int DRAIN_LIMIT = 64;

    private final Publication publication;
    private final ExpandableRingBuffer pending = new ExpandableRingBuffer(INITIAL_CAPACITY, MAX_CAPACITY, false);
    private final UnsafeBuffer seal = new UnsafeBuffer(new byte[MessageSealer.SEAL_LENGTH]);
    private ExpandableArrayBuffer sealedCopy = new ExpandableArrayBuffer(SEALED_COPY_CAPACITY);
    private MessageSealer sealer;

    /**
     * @param publication where messages go; closed with the outbox.
     */
    public Outbox(final Publication publication)
    {
        this.publication = publication;
    }

    /**
     * Seal every message offered from now on, but handshake messages.
     *
     * @param sealer this side's sealer of the session.
     */
    public void seal(final MessageSealer sealer)
    {
        this.sealer = sealer;
    }

    /**
     * Stop sealing, as when the session is opened again from its handshake.
     */
    public void unseal()
    {
        sealer = null;
    }

    /**
     * @return true once messages are sealed.
     */
    public boolean isSealed()
    {
        return null != sealer;
    }

    /**
     * Offer a message now, or queue it behind those already waiting; sealed once the session is.
     *
     * @return false only when the queue is full: the peer has not read for a long time.
     */
    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null == sealer)
        {
            return offerUnsealed(buffer, offset, length);
        }
        sealer.seal(buffer, offset, length, seal, 0);
        if (pending.isEmpty() && publication.offer(buffer, offset, length, seal, 0, MessageSealer.SEAL_LENGTH) > 0)
        {
            return true;
        }
        sealedCopy.putBytes(0, buffer, offset, length);
        sealedCopy.putBytes(length, seal, 0, MessageSealer.SEAL_LENGTH);
        return pending.append(sealedCopy, 0, length + MessageSealer.SEAL_LENGTH);
    }

    /**
     * Offer a handshake message, which is never sealed.
     *
     * @return false only when the queue is full.
     */
    public boolean offerUnsealed(final DirectBuffer buffer, final int offset, final int length)
    {
        if (pending.isEmpty() && publication.offer(buffer, offset, length) > 0)
        {
            return true;
        }
        return pending.append(buffer, offset, length);
    }

    /**
     * Send queued messages, in order, as far as the publication takes them. A queue that grew for a burst (a
     * manifest's parts, a worker's chunk descriptors), and the copy a sealed message waits in, go back to their
     * initial capacity once empty, so that a member does not keep the burst's memory for good (a coordinator holds
     * an outbox per member: its idle queue is 4 KiB).
     *
     * @return messages sent.
     */
    public int drain()
    {
        if (pending.isEmpty())
        {
            return 0;
        }
        final int sent = pending.consume(this, DRAIN_LIMIT);
        if (pending.isEmpty())
        {
            shrink();
        }
        return sent;
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
        shrink();
    }

    /**
     * @return the publication behind this outbox.
     */
    public Publication publication()
    {
        return publication;
    }

    private void shrink()
    {
        if (pending.capacity() > INITIAL_CAPACITY)
        {
            pending.reset(INITIAL_CAPACITY);
        }
        if (sealedCopy.capacity() > SEALED_COPY_CAPACITY)
        {
            sealedCopy = new ExpandableArrayBuffer(SEALED_COPY_CAPACITY);
        }
    }

    @Override
    public boolean onMessage(final MutableDirectBuffer buffer, final int offset, final int length, final int headOffset)
    {
        return publication.offer(buffer, offset, length) > 0;
    }

    @Override
    public void close()
    {
        publication.close();
    }
}
