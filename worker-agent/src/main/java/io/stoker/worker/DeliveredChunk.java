package io.stoker.worker;

import io.stoker.dataset.RecordTable;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * What every delivered chunk is, wherever its bytes are: its identity, its record table, and the
 * consumer's one release, which puts the chunk on its sink's queue of released chunks.
 *
 * @param <C> the concrete chunk, as the sink's release queue holds it.
 */
public abstract class DeliveredChunk<C extends DeliveredChunk<C>> implements Chunk
{
    private final RecordTable records = new RecordTable();
    private final OneToOneConcurrentArrayQueue<C> released;
    private volatile boolean held;
    private int epoch;
    private int chunkId;
    private int length;
    private int crc;

    /**
     * @param released where {@link #release()} puts the chunk for its sink.
     */
    protected DeliveredChunk(final OneToOneConcurrentArrayQueue<C> released)
    {
        this.released = released;
    }

    /**
     * Fill in the chunk before it goes to the consumer.
     */
    protected final void deliver(final int epoch, final int chunkId, final int length, final int crc)
    {
        this.epoch = epoch;
        this.chunkId = chunkId;
        this.length = length;
        this.crc = crc;
        held = true;
    }

    /**
     * @return this chunk as its concrete type.
     */
    protected abstract C self();

    @Override
    public final int epoch()
    {
        return epoch;
    }

    @Override
    public final int chunkId()
    {
        return chunkId;
    }

    @Override
    public final int length()
    {
        return length;
    }

    @Override
    public final int crc()
    {
        return crc;
    }

    @Override
    public final RecordTable records()
    {
        return records;
    }

    @Override
    public final void release()
    {
        if (!held)
        {
            throw new IllegalStateException("chunk " + chunkId + " of epoch " + epoch + " was already released");
        }
        held = false;
        released.offer(self());
    }
}
