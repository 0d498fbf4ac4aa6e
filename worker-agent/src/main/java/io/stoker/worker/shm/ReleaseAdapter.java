package io.stoker.worker.shm;

import io.stoker.worker.Batch;
import io.stoker.worker.Chunk;
import org.agrona.MutableDirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

/**
 * Decodes the consumer's release records and releases the batches they name: their buffers go back to the worker.
 * Holds the batches published and not yet released, by sequence number.
 *
 * @param <C> the chunks the worker delivers.
 */
public final class ReleaseAdapter<C extends Chunk> implements MessageHandler
{
    private static final int READ_LIMIT = 64;

    private final OneToOneRingBuffer ring;
    private final ErrorHandler errorHandler;
    private final Long2ObjectHashMap<Batch<C>> outstanding = new Long2ObjectHashMap<>();
    private long applied;
    private long invalid;

    /**
     * @param ring         the releases ring.
     * @param errorHandler told of a release record that names no outstanding batch.
     */
    public ReleaseAdapter(final OneToOneRingBuffer ring, final ErrorHandler errorHandler)
    {
        this.ring = ring;
        this.errorHandler = errorHandler;
    }

    /**
     * A batch went to the consumer.
     */
    public void onPublished(final long sequence, final Batch<C> batch)
    {
        outstanding.put(sequence, batch);
    }

    /**
     * @return release records read.
     */
    public int poll()
    {
        return ring.read(this, READ_LIMIT);
    }

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        applied++;
        if (ChannelLayout.MSG_RELEASE != msgTypeId || length < Long.BYTES)
        {
            invalid++;
            errorHandler.onError(new IllegalStateException(
                "shared-memory channel: a release record of type " + msgTypeId + " and " + length + " bytes"));
            return;
        }
        final long sequence = buffer.getLong(index);
        final Batch<C> batch = outstanding.remove(sequence);
        if (null == batch)
        {
            invalid++;
            errorHandler.onError(new IllegalStateException(
                "shared-memory channel: release of batch " + sequence + ", which is not outstanding"));
            return;
        }
        batch.release();
    }

    /**
     * @return release records read, valid or not.
     */
    public long applied()
    {
        return applied;
    }

    /**
     * @return release records that named no outstanding batch.
     */
    public long invalid()
    {
        return invalid;
    }

    /**
     * @return batches published and not released.
     */
    public int outstanding()
    {
        return outstanding.size();
    }
}
