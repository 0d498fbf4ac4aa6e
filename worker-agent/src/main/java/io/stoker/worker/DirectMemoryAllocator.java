package io.stoker.worker;

import org.agrona.BufferUtil;

import java.nio.ByteBuffer;

/**
 * Page-aligned direct memory: the pool's memory when there is no GPU.
 */
public final class DirectMemoryAllocator implements HostMemoryAllocator
{
    /**
     * Alignment of every allocation: a page, as RDMA registration and DMA prefer.
     */
    public static final int PAGE_SIZE = 4096;

    @Override
    public ByteBuffer allocate(final int length)
    {
        return BufferUtil.allocateDirectAligned(length, PAGE_SIZE);
    }

    /**
     * Nothing to do: the aligned buffer is a slice of a direct buffer, whose memory the garbage
     * collector returns once the pool drops it (a slice cannot be freed explicitly).
     */
    @Override
    public void free(final ByteBuffer buffer)
    {
    }

    @Override
    public String description()
    {
        return "page-aligned direct memory";
    }
}
