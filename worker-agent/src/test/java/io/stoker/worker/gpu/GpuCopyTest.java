package io.stoker.worker.gpu;

import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.ChunkRecords;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.RecordTable;
import io.stoker.worker.BufferPool;
import io.stoker.worker.ChunkSink;
import io.stoker.worker.DirectMemoryAllocator;
import io.stoker.worker.Feed;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pinned memory, copies, events and the sum kernel on a real device. Skipped, with the reason, where
 * there is no CUDA device.
 */
@ExtendWith(RequiresCuda.class)
class GpuCopyTest
{
    private static final int BUFFER_LENGTH = 1 << 20;

    private CudaDevice device;

    @BeforeEach
    void openDevice()
    {
        device = CudaDevice.open(0);
    }

    @Test
    void thePoolIsPinnedDirectMemoryAlignedToAPage()
    {
        try (BufferPool pool = new BufferPool(3, 100_000, new PinnedMemoryAllocator(device)))
        {
            assertTrue(pool.memory().isDirect());
            assertEquals(0, pool.buffer(0).addressOffset() % DirectMemoryAllocator.PAGE_SIZE);
            for (int i = 0; i < 3; i++)
            {
                pool.buffer(i).setMemory(0, pool.bufferLength(), (byte)(i + 1));
                assertEquals(i + 1, pool.buffer(i).getByte(pool.bufferLength() - 1));
            }
            assertTrue(pool.description().contains("pinned"), pool.description());
        }
    }

    @Test
    void everyCopyLandsByteForByteAndTheDeviceSumsItAsTheHostDoes()
    {
        final int[] lengths = { BUFFER_LENGTH, BUFFER_LENGTH - 1, 4099, 13, 4, 3, 2, 1 };
        try (BufferPool pool = new BufferPool(lengths.length, BUFFER_LENGTH, new PinnedMemoryAllocator(device)))
        {
            final CudaSlots slots = new CudaSlots(device, pool, lengths.length, 3, true);
            final WordSumKernel kernel = new WordSumKernel(device);
            try
            {
                final SplittableRandom random = new SplittableRandom(5);
                final byte[][] sent = new byte[lengths.length][];
                for (int i = 0; i < lengths.length; i++)
                {
                    sent[i] = new byte[lengths[i]];
                    random.nextBytes(sent[i]);
                    pool.buffer(i).putBytes(0, sent[i]);
                    slots.copy(i, i, lengths[i]);
                }
                for (int i = 0; i < lengths.length; i++)
                {
                    final int slot = i;
                    awaitWithoutBlocking(() -> slots.isComplete(slot));
                    final long hostSum = WordSum.of(pool.buffer(i), 0, lengths[i]);
                    assertEquals(hostSum, slots.deviceSum(i), "device sum after copy of " + lengths[i] + " bytes");
                    assertEquals(hostSum, kernel.sum(slots.pointer(i), lengths[i]), "kernel over slot " + i);

                    final byte[] back = new byte[lengths[i]];
                    Cuda.check(
                        JCudaDriver.cuMemcpyDtoH(Pointer.to(back), slots.pointer(i), lengths[i]), "cuMemcpyDtoH");
                    assertArrayEquals(sent[i], back, "bytes of slot " + i);
                }
            }
            finally
            {
                kernel.close();
                slots.close();
            }
        }
    }

    @Test
    void aSinkOnTheDeviceDeliversInOrderAndStallsWhileTheConsumerHoldsItsSlots(@TempDir final Path directory)
    {
        DatasetGenerator.generate(directory, FormatSpec.parse("fixed:4096"), 4 << 20, 9);
        final Manifest manifest = DatasetIndexer.index(directory, null, DatasetIndexer.MIN_CHUNK_SIZE);
        final Feed<DeviceChunk> feed = new Feed<>(4, new AtomicCounter(new UnsafeBuffer(new byte[1024]), 0));
        final List<Integer> freed = new ArrayList<>();
        final ChunkSink.SinkListener listener = freed::add;
        try (BufferPool pool = new BufferPool(4, manifest.maxChunkLength(), new PinnedMemoryAllocator(device)))
        {
            final GpuSink sink =
                new GpuSink(pool, feed, new CudaSlots(device, pool, 2, 2, true), 0, new DeviceChecks());
            try
            {
                for (int chunkId = 0; chunkId < 2; chunkId++)
                {
                    assertTrue(sink.offer(chunkId, 0, chunkId, manifest.chunkLength(chunkId), 0,
                        records(manifest, chunkId)));
                }
                assertFalse(sink.offer(2, 0, 2, manifest.chunkLength(2), 0, records(manifest, 2)), "both slots in use");
                awaitWithoutBlocking(() ->
                {
                    sink.doWork(listener);
                    return freed.size() == 2;
                });
                final DeviceChunk first = feed.poll();
                final DeviceChunk second = feed.poll();
                assertNotNull(first);
                assertNotNull(second);
                assertEquals(List.of(0, 1), List.of(first.chunkId(), second.chunkId()));
                assertFalse(sink.offer(2, 0, 2, manifest.chunkLength(2), 0, records(manifest, 2)),
                    "the consumer holds both");

                first.release();
                sink.doWork(listener);
                assertEquals(1, sink.freeSlots(), "the released slot is free again");
                assertTrue(sink.offer(2, 0, 2, manifest.chunkLength(2), 0, records(manifest, 2)));
                assertEquals(first.deviceAddress(), slotAddressOfNextDelivery(sink, feed, listener));
                second.release();
            }
            finally
            {
                sink.close();
            }
        }
    }

    /**
     * The records of a chunk of a fixed-size format: computed, the bytes are not read.
     */
    private static RecordTable records(final Manifest manifest, final int chunkId)
    {
        final RecordTable table = new RecordTable();
        new ChunkRecords().fill(ChunkDescriptors.of(manifest), chunkId, ByteBuffer.allocate(0), table);
        return table;
    }

    private static long slotAddressOfNextDelivery(
        final GpuSink sink, final Feed<DeviceChunk> feed, final ChunkSink.SinkListener listener)
    {
        final DeviceChunk[] next = new DeviceChunk[1];
        awaitWithoutBlocking(() ->
        {
            sink.doWork(listener);
            next[0] = feed.poll();
            return null != next[0];
        });
        return next[0].deviceAddress();
    }

    private static void awaitWithoutBlocking(final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadline < 0, "timed out");
            Thread.onSpinWait();
        }
    }
}
