package io.stoker.worker;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BufferPoolTest
{
    @Test
    void buffersArePageAlignedAndDisjoint()
    {
        try (BufferPool pool = new BufferPool(4, 10_000, new DirectMemoryAllocator()))
        {
            assertEquals(12_288, pool.bufferLength());
            for (int i = 0; i < 4; i++)
            {
                assertEquals(0, pool.buffer(i).addressOffset() % DirectMemoryAllocator.PAGE_SIZE);
                assertEquals(
                    pool.buffer(0).addressOffset() + (long)i * pool.bufferLength(), pool.buffer(i).addressOffset());
                assertEquals(pool.bufferLength(), pool.buffer(i).capacity());
            }
        }
    }

    @Test
    void handsOutTheBufferGivenBackLastFirstWhileItIsStillInCache()
    {
        try (BufferPool pool = new BufferPool(3, 4096, new DirectMemoryAllocator()))
        {
            assertEquals(0, pool.claim());
            assertEquals(1, pool.claim());
            assertEquals(2, pool.claim());
            assertEquals(-1, pool.claim(), "all in use");

            pool.release(2);
            pool.release(0);
            assertEquals(0, pool.claim());
            assertEquals(2, pool.claim());
            assertEquals(0, pool.available());
        }
    }

    @Test
    void releasingABufferTwiceIsRefused()
    {
        try (BufferPool pool = new BufferPool(2, 4096, new DirectMemoryAllocator()))
        {
            final int index = pool.claim();
            pool.release(index);
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> pool.release(index));
            assertTrue(ex.getMessage().contains("released twice"));
        }
    }
}
