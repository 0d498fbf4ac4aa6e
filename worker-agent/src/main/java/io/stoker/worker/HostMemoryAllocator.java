package io.stoker.worker;

import java.nio.ByteBuffer;

/**
 * Allocates the host memory a worker's buffer pool lives in: page-aligned direct memory by default,
 * pinned memory when a GPU sink needs it. The pool allocates once, at start-up.
 */
public interface HostMemoryAllocator
{
    /**
     * @param length bytes.
     * @return a direct buffer of exactly that capacity, its address aligned to at least a page.
     */
    ByteBuffer allocate(int length);

    /**
     * Give back memory this allocator returned.
     */
    void free(ByteBuffer buffer);

    /**
     * @return what kind of memory this is, for logs and summaries.
     */
    String description();
}
