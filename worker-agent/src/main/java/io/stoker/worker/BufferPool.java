package io.stoker.worker;

import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A worker's fixed set of equal buffers, carved out of one allocation made at start-up. Transports
 * fill the buffers in place (the same memory is what RDMA registers and what a GPU copies from), the
 * worker checks them and hands them to a sink, and the sink gives them back.
 * <p>
 * Used from the worker's agent thread only. The free list is a stack: the buffer given back last is
 * handed out first, while its lines are still in the CPU's cache; a FIFO would cycle the whole pool
 * through memory and halve the throughput of a local feed.
 */
public final class BufferPool implements AutoCloseable
{
    private final HostMemoryAllocator allocator;
    private final ByteBuffer memory;
    private final int bufferLength;
    private final UnsafeBuffer[] buffers;
    private final ByteBuffer[] byteBuffers;
    private final int[] free;
    private int freeCount;
    private final boolean[] isFree;

    /**
     * @param count        number of buffers.
     * @param bufferLength bytes per buffer: at least the largest chunk; rounded up to a page.
     * @param allocator    where the memory comes from.
     */
    public BufferPool(final int count, final int bufferLength, final HostMemoryAllocator allocator)
    {
        if (count < 1)
        {
            throw new IllegalArgumentException("a buffer pool needs at least one buffer, asked for " + count);
        }
        this.allocator = allocator;
        this.bufferLength = BitUtil.align(bufferLength, DirectMemoryAllocator.PAGE_SIZE);
        final long total = (long)this.bufferLength * count;
        if (total > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(
                count + " buffers of " + this.bufferLength + " bytes exceed the 2 GiB a pool can hold");
        }
        memory = allocator.allocate((int)total);
        buffers = new UnsafeBuffer[count];
        byteBuffers = new ByteBuffer[count];
        free = new int[count];
        isFree = new boolean[count];
        freeCount = count;
        for (int i = 0; i < count; i++)
        {
            byteBuffers[i] = memory.duplicate().position(i * this.bufferLength).limit((i + 1) * this.bufferLength)
                .slice();
            buffers[i] = new UnsafeBuffer(byteBuffers[i]);
            free[count - 1 - i] = i;
            isFree[i] = true;
        }
    }

    /**
     * @return a free buffer's index, or -1 when all are in use.
     */
    public int claim()
    {
        if (0 == freeCount)
        {
            return -1;
        }
        final int index = free[--freeCount];
        isFree[index] = false;
        return index;
    }

    /**
     * Return a buffer. Releasing a buffer twice is a bug in the caller and throws.
     */
    public void release(final int index)
    {
        if (isFree[index])
        {
            throw new IllegalStateException("buffer " + index + " released twice");
        }
        isFree[index] = true;
        free[freeCount++] = index;
    }

    /**
     * @return the buffer at {@code index}, a view of {@link #bufferLength()} bytes.
     */
    public UnsafeBuffer buffer(final int index)
    {
        return buffers[index];
    }

    /**
     * @return the same memory as {@link #buffer(int)} as a {@link ByteBuffer}, for APIs that take one.
     */
    public ByteBuffer byteBuffer(final int index)
    {
        return byteBuffers[index];
    }

    /**
     * @return the whole pool's memory, for transports that register it once (RDMA).
     */
    public ByteBuffer memory()
    {
        return memory;
    }

    public int bufferLength()
    {
        return bufferLength;
    }

    public int capacity()
    {
        return buffers.length;
    }

    public int available()
    {
        return freeCount;
    }

    /**
     * @return what the memory is, for the run summary.
     */
    public String description()
    {
        return buffers.length + " x " + bufferLength + " bytes of " + allocator.description();
    }

    @Override
    public void close()
    {
        allocator.free(memory);
    }
}
