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
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU sink's bookkeeping over fake device slots: no GPU needed. The copies themselves are tested
 * on a device by {@link GpuCopyTest} and {@link GpuLocalFeedTest}.
 */
class GpuSinkTest
{
    private static final int BUFFERS = 6;

    @TempDir
    static Path datasetDirectory;
    private static Manifest manifest;

    private final BufferPool pool = new BufferPool(BUFFERS, manifest.maxChunkLength(), new DirectMemoryAllocator());
    private final Feed<DeviceChunk> feed =
        new Feed<>(BUFFERS, new AtomicCounter(new UnsafeBuffer(new byte[1024]), 0));
    private final Listener listener = new Listener();
    private final ChunkRecords chunkRecords = new ChunkRecords();
    private final RecordTable table = new RecordTable();
    private FakeSlots slots;
    private GpuSink sink;

    @BeforeAll
    static void generateDataset()
    {
        DatasetGenerator.generate(datasetDirectory, FormatSpec.parse("tfrecord:3000"), 4 << 20, 7);
        manifest = DatasetIndexer.index(datasetDirectory, null, DatasetIndexer.MIN_CHUNK_SIZE);
    }

    @AfterEach
    void close()
    {
        pool.close();
    }

    @Test
    void deliversInOfferOrderWhileGivingBuffersBackAsTheirCopiesComplete()
    {
        start(4, null);
        offer(0, 10);
        offer(1, 11);
        offer(2, 12);

        slots.complete(slots.slotOfCopy(2));
        assertEquals(1, sink.doWork(listener));
        assertEquals(List.of(2), listener.freedBuffers, "the buffer goes back once its own copy completed");
        assertNull(feed.poll(), "chunk 12 waits for 10 and 11");

        slots.complete(slots.slotOfCopy(0));
        sink.doWork(listener);
        assertEquals(10, feed.poll().chunkId());
        assertNull(feed.poll());

        slots.complete(slots.slotOfCopy(1));
        sink.doWork(listener);
        assertEquals(List.of(2, 0, 1), listener.freedBuffers);
        assertEquals(11, feed.poll().chunkId());
        assertEquals(12, feed.poll().chunkId());
        assertEquals(1, sink.freeSlots(), "slots stay the consumer's until it releases them");
    }

    @Test
    void aConsumerHoldingEverySlotStallsTheFeedAndNoHeldSlotIsWritten()
    {
        start(2, null);
        offer(0, 20);
        offer(1, 21);
        assertFalse(sink.offer(2, 0, 22, length(22), manifest.chunkCrc(22), records(2, 22)), "no free slot");

        completeAll();
        final DeviceChunk first = feed.poll();
        final DeviceChunk second = feed.poll();
        assertEquals(List.of(0, 1), listener.freedBuffers, "pool buffers come back while the slots stay held");

        for (int cycle = 0; cycle < 100; cycle++)
        {
            sink.doWork(listener);
            assertFalse(sink.offer(2, 0, 22, length(22), manifest.chunkCrc(22), records(2, 22)), "cycle " + cycle);
        }
        assertEquals(2, slots.copies.size(), "no copy was issued while the consumer held every slot");

        second.release();
        sink.doWork(listener);
        assertEquals(1, sink.freeSlots(), "the released slot is free again");
        offer(2, 22);
        assertSame(second.devicePointer(), slots.pointer(slots.slotOfCopy(2)), "the copy took the released slot");
        assertNotEquals(slots.slotOfCopy(0), slots.slotOfCopy(2), "the held slot was not written");
        assertEquals(20, first.chunkId(), "the held chunk is untouched");
    }

    @Test
    void reusesSlotsInTheOrderTheConsumerReleasedThem()
    {
        start(3, null);
        offer(0, 30);
        offer(1, 31);
        offer(2, 32);
        completeAll();
        final DeviceChunk[] held = { feed.poll(), feed.poll(), feed.poll() };

        held[2].release();
        held[0].release();
        held[1].release();
        sink.doWork(listener);
        assertEquals(3, sink.freeSlots());

        offer(3, 33);
        offer(4, 34);
        offer(5, 35);
        assertEquals(List.of(2, 0, 1), List.of(slots.slotOfCopy(3), slots.slotOfCopy(4), slots.slotOfCopy(5)));
    }

    @Test
    void aDeviceChunkCarriesItsSlotRecordsAndIds()
    {
        start(2, null);
        sink.offer(1, 3, 5, length(5), manifest.chunkCrc(5), records(1, 5));
        completeAll();
        final DeviceChunk chunk = feed.poll();

        assertEquals(3, chunk.epoch());
        assertEquals(5, chunk.chunkId());
        assertEquals(length(5), chunk.length());
        assertEquals(manifest.chunkCrc(5), chunk.crc());
        assertEquals(manifest.chunkRecordCount(5), chunk.records().count());
        assertEquals(7, chunk.deviceId());
        assertSame(slots.pointer(slots.slotOfCopy(0)), chunk.devicePointer());
        assertEquals(slots.address(slots.slotOfCopy(0)), chunk.deviceAddress());
        assertEquals(List.of(1, 1, length(5)), List.of(slots.copies.get(0)[1], listener.freedBuffers.get(0),
            slots.copies.get(0)[2]), "pool buffer 1 was copied, then given back");
        assertEquals("gpu 7", sink.description());
    }

    @Test
    void releasingAChunkTwiceIsRefused()
    {
        start(2, null);
        offer(0, 1);
        completeAll();
        final DeviceChunk chunk = feed.poll();
        chunk.release();
        final IllegalStateException ex = assertThrows(IllegalStateException.class, chunk::release);
        assertTrue(ex.getMessage().contains("already released"), ex.getMessage());
    }

    @Test
    void theFeedEndsOnlyOnceTheCopiesInFlightAreDelivered()
    {
        start(2, null);
        offer(0, 40);
        sink.finish();
        sink.doWork(listener);
        assertFalse(feed.isFinished(), "a copy is still in flight");

        slots.complete(slots.slotOfCopy(0));
        sink.doWork(listener);
        assertFalse(feed.isFinished(), "chunk 40 waits for the consumer");
        assertEquals(40, feed.poll().chunkId());
        assertTrue(feed.isFinished());
    }

    @Test
    void verificationComparesTheDeviceSumWithTheHostsAndNamesMismatchedChunks()
    {
        final DeviceChecks checks = new DeviceChecks();
        start(2, checks);
        pool.buffer(0).setMemory(0, pool.bufferLength(), (byte)0x5a);
        pool.buffer(1).setMemory(0, pool.bufferLength(), (byte)0x33);
        offer(0, 50);
        offer(1, 51);

        slots.complete(slots.slotOfCopy(0), WordSum.of(pool.buffer(0), 0, length(50)));
        slots.complete(slots.slotOfCopy(1), WordSum.of(pool.buffer(1), 0, length(51)) + 1);
        sink.doWork(listener);

        assertEquals(1, checks.matched());
        assertEquals(1, checks.mismatches().size());
        final DeviceChecks.Mismatch mismatch = checks.mismatches().get(0);
        assertEquals(51, mismatch.chunkId());
        assertEquals(0, mismatch.epoch());
        assertEquals(mismatch.hostSum() + 1, mismatch.deviceSum());
    }

    @Test
    void closingTheSinkFreesTheSlots()
    {
        start(2, null);
        sink.close();
        assertTrue(slots.closed);
    }

    private void start(final int slotCount, final DeviceChecks checks)
    {
        slots = new FakeSlots(slotCount);
        sink = new GpuSink(pool, feed, slots, 7, checks);
        assertEquals(slotCount, sink.freeSlots());
    }

    private void offer(final int buffer, final int chunkId)
    {
        final RecordTable records = records(buffer, chunkId);
        assertTrue(sink.offer(buffer, 0, chunkId, length(chunkId), manifest.chunkCrc(chunkId), records),
            "offer of chunk " + chunkId);
    }

    private void completeAll()
    {
        slots.completeInFlight();
        sink.doWork(listener);
    }

    /**
     * The chunk's bytes put in a pool buffer, as a read would, and its records found in them.
     */
    private RecordTable records(final int buffer, final int chunkId)
    {
        try
        {
            final byte[] shard =
                Files.readAllBytes(datasetDirectory.resolve(manifest.shardPath(manifest.chunkShard(chunkId))));
            pool.buffer(buffer).putBytes(0, shard, (int)manifest.chunkOffset(chunkId), length(chunkId));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        chunkRecords.fill(ChunkDescriptors.of(manifest), chunkId, pool.byteBuffer(buffer), table);
        return table;
    }

    private static int length(final int chunkId)
    {
        return manifest.chunkLength(chunkId);
    }

    private static final class Listener implements ChunkSink.SinkListener
    {
        final List<Integer> freedBuffers = new ArrayList<>();

        @Override
        public void onBufferFree(final int buffer)
        {
            freedBuffers.add(buffer);
        }
    }
}
