package io.stoker.worker;

import io.stoker.dataset.RecordTable;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * Hands the pool's buffers themselves on: no copy. A buffer comes back to the pool when its chunk is
 * released.
 */
public final class HostSink implements ChunkSink
{
    private final HostChunk[] chunks;
    private final OneToOneConcurrentArrayQueue<HostChunk> released;
    private final Handoff<HostChunk> next;

    /**
     * @param pool the worker's buffers.
     * @param next where chunks go; takes at least as many as the pool has buffers.
     */
    public HostSink(final BufferPool pool, final Handoff<HostChunk> next)
    {
        final int capacity = pool.capacity();
        released = new OneToOneConcurrentArrayQueue<>(capacity);
        this.next = next;
        chunks = new HostChunk[capacity];
        for (int i = 0; i < capacity; i++)
        {
            chunks[i] = new HostChunk(i, pool.buffer(i), pool.byteBuffer(i), released);
        }
    }

    @Override
    public boolean offer(
        final int buffer,
        final int epoch,
        final int chunkId,
        final int length,
        final int crc,
        final RecordTable records)
    {
        final HostChunk chunk = chunks[buffer].set(epoch, chunkId, length, crc);
        chunk.records().copyFrom(records);
        return next.offer(chunk);
    }

    @Override
    public int doWork(final SinkListener listener)
    {
        int work = 0;
        HostChunk chunk;
        while (null != (chunk = released.poll()))
        {
            listener.onBufferFree(chunk.bufferIndex());
            work++;
        }
        return work;
    }

    @Override
    public void finish()
    {
        next.finish();
    }

    @Override
    public String description()
    {
        return "host";
    }

    @Override
    public void close()
    {
    }
}
