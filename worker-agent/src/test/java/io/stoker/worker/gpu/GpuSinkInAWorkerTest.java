package io.stoker.worker.gpu;

import io.stoker.worker.BufferPool;
import io.stoker.worker.ChunkSink;
import io.stoker.worker.DirectMemoryAllocator;
import io.stoker.worker.Handoff;
import io.stoker.worker.HostMemoryAllocator;
import io.stoker.worker.SinkFactory;
import jcuda.driver.CUdeviceptr;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU sink inside a real worker, fed by a real coordinator and data server, with a stand-in device
 * whose copies land in host arrays and complete a few polls later: no GPU needed. What runs on a GPU is
 * {@link GpuLocalFeedTest}.
 */
class GpuSinkInAWorkerTest
{
    @TempDir
    Path directory;

    @Test
    void everyChunkReachesItsSlotIntactInOrderAndTheFeedEnds() throws Exception
    {
        final LocalFeedHarness feed = new LocalFeedHarness(directory);
        final DeviceChecks checks = new DeviceChecks();
        final CopyingSlots[] device = new CopyingSlots[1];
        final SinkFactory<DeviceChunk> sink = new SinkFactory<>()
        {
            private final HostMemoryAllocator allocator = new DirectMemoryAllocator();

            @Override
            public HostMemoryAllocator allocator()
            {
                return allocator;
            }

            @Override
            public ChunkSink newSink(final BufferPool pool, final Handoff<DeviceChunk> next)
            {
                device[0] = new CopyingSlots(pool, 3);
                return new GpuSink(pool, next, device[0], 0, checks);
            }
        };

        feed.feedAndCheck(sink, 3, chunk -> device[0].sum(chunk.slot(), chunk.length()));

        assertEquals(List.of(), checks.mismatches());
        assertEquals(3L * feed.chunkCount(), checks.matched());
        assertTrue(device[0].notReadyAnswers > 0, "copies were polled while in flight");
        assertTrue(device[0].closed, "the worker closed its sink");
    }

    /**
     * Slots in host memory: a copy lands at once but reports complete only on the third poll.
     */
    private static final class CopyingSlots implements DeviceSlots
    {
        private final BufferPool pool;
        private final UnsafeBuffer[] memory;
        private final int[] pollsLeft;
        private final long[] sums;
        private final CUdeviceptr pointer = new CUdeviceptr();
        long notReadyAnswers;
        volatile boolean closed;

        CopyingSlots(final BufferPool pool, final int count)
        {
            this.pool = pool;
            memory = new UnsafeBuffer[count];
            pollsLeft = new int[count];
            sums = new long[count];
            for (int i = 0; i < count; i++)
            {
                memory[i] = new UnsafeBuffer(new byte[pool.bufferLength()]);
            }
        }

        @Override
        public int count()
        {
            return memory.length;
        }

        @Override
        public void copy(final int slot, final int hostBuffer, final int length)
        {
            memory[slot].putBytes(0, pool.buffer(hostBuffer), 0, length);
            sums[slot] = WordSum.of(memory[slot], 0, length);
            pollsLeft[slot] = 3;
        }

        @Override
        public boolean isComplete(final int slot)
        {
            if (--pollsLeft[slot] > 0)
            {
                notReadyAnswers++;
                return false;
            }
            return true;
        }

        @Override
        public long deviceSum(final int slot)
        {
            return sums[slot];
        }

        @Override
        public CUdeviceptr pointer(final int slot)
        {
            return pointer;
        }

        @Override
        public long address(final int slot)
        {
            return slot;
        }

        @Override
        public void close()
        {
            closed = true;
        }

        long sum(final int slot, final int length)
        {
            return WordSum.of(memory[slot], 0, length);
        }
    }
}
