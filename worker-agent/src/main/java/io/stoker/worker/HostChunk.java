package io.stoker.worker;

import io.stoker.dataset.RecordTable;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A chunk delivered in host memory: the worker's pool buffer itself, no copy.
 */
public final class HostChunk implements Chunk
{
    private final int bufferIndex;
    private final UnsafeBuffer poolBuffer;
    private final ByteBuffer poolByteBuffer;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final RecordTable records = new RecordTable();
    private final OneToOneConcurrentArrayQueue<HostChunk> released;
    private volatile boolean held;
    private int epoch;
    private int chunkId;
    private int length;
    private int crc;

    HostChunk(
        final int bufferIndex,
        final UnsafeBuffer poolBuffer,
        final ByteBuffer poolByteBuffer,
        final OneToOneConcurrentArrayQueue<HostChunk> released)
    {
        this.bufferIndex = bufferIndex;
        this.poolBuffer = poolBuffer;
        this.poolByteBuffer = poolByteBuffer;
        this.released = released;
    }

    HostChunk set(final int epoch, final int chunkId, final int length, final int crc)
    {
        this.epoch = epoch;
        this.chunkId = chunkId;
        this.length = length;
        this.crc = crc;
        view.wrap(poolBuffer, 0, length);
        poolByteBuffer.clear().limit(length);
        held = true;
        return this;
    }

    /**
     * @return the chunk's bytes, {@link #length()} of them.
     */
    public DirectBuffer buffer()
    {
        return view;
    }

    /**
     * @return the chunk's bytes as a direct {@link ByteBuffer}, position 0 and limit {@link #length()}.
     */
    public ByteBuffer byteBuffer()
    {
        return poolByteBuffer;
    }

    public int epoch()
    {
        return epoch;
    }

    public int chunkId()
    {
        return chunkId;
    }

    public int length()
    {
        return length;
    }

    public int crc()
    {
        return crc;
    }

    public RecordTable records()
    {
        return records;
    }

    public void release()
    {
        if (!held)
        {
            throw new IllegalStateException("chunk " + chunkId + " of epoch " + epoch + " was already released");
        }
        held = false;
        released.offer(this);
    }

    int bufferIndex()
    {
        return bufferIndex;
    }
}
