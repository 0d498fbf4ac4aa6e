package io.stoker.worker;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A chunk delivered in host memory: the worker's pool buffer itself, no copy.
 */
public final class HostChunk extends DeliveredChunk<HostChunk>
{
    private final int bufferIndex;
    private final UnsafeBuffer poolBuffer;
    private final ByteBuffer poolByteBuffer;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

    HostChunk(
        final int bufferIndex,
        final UnsafeBuffer poolBuffer,
        final ByteBuffer poolByteBuffer,
        final OneToOneConcurrentArrayQueue<HostChunk> released)
    {
        super(released);
        this.bufferIndex = bufferIndex;
        this.poolBuffer = poolBuffer;
        this.poolByteBuffer = poolByteBuffer;
    }

    HostChunk set(final int epoch, final int chunkId, final int length, final int crc)
    {
        view.wrap(poolBuffer, 0, length);
        poolByteBuffer.clear().limit(length);
        deliver(epoch, chunkId, length, crc);
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

    @Override
    protected HostChunk self()
    {
        return this;
    }

    int bufferIndex()
    {
        return bufferIndex;
    }
}
