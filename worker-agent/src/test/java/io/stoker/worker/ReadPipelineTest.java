package io.stoker.worker;

import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.GeneratedDataset;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.RecordTable;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.LocalDataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read pipeline over a real generated dataset (TFRecord, so chunks differ in length), its real manifest and a
 * real buffer pool. Data servers are fakes that read the shard files through a real {@link LocalDataReader} and
 * fail, corrupt, hold or push back reads as a test tells them. Time is a hand-set clock.
 */
class ReadPipelineTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long START_NS = TimeUnit.SECONDS.toNanos(1000);
    private static final int EPOCH = 3;
    private static final String IO_ERROR = "injected I/O error";

    @TempDir
    static Path directory;

    private static AeronConnector connector;
    private static GeneratedDataset dataset;
    private static Manifest manifest;
    private static byte[][] shardBytes;

    private final Directory servers = new Directory();
    private final Recorder recorder = new Recorder();
    private final List<String> errors = new ArrayList<>();
    private StatusCounters counters;
    private BufferPool pool;
    private long nowNs = START_NS;

    @BeforeAll
    static void generateDataset() throws IOException
    {
        dataset = DatasetGenerator.generate(directory, FormatSpec.parse("tfrecord:1000"), 768 << 10, 7, 256 << 10);
        manifest = DatasetIndexer.index(directory, null, DatasetIndexer.MIN_CHUNK_SIZE);
        shardBytes = new byte[dataset.shardNames().size()][];
        for (int shard = 0; shard < shardBytes.length; shard++)
        {
            shardBytes[shard] = Files.readAllBytes(directory.resolve(dataset.shardNames().get(shard)));
        }
        connector = AeronConnector.connect(new AeronConnector.Context());
    }

    @AfterAll
    static void stopDriver()
    {
        CloseHelper.close(connector);
    }

    @BeforeEach
    void allocateCounters()
    {
        counters = new StatusCounters(connector.aeron(), "read pipeline test",
            CounterType.BYTES_READ_LOCAL, CounterType.BYTES_READ_RDMA, CounterType.BYTES_READ_UDP,
            CounterType.CHUNKS_READ_LOCAL, CounterType.CHUNKS_READ_RDMA, CounterType.CHUNKS_READ_UDP,
            CounterType.READ_RETRIES, CounterType.READ_FAILURES, CounterType.CHECKSUM_FAILURES,
            CounterType.CHUNKS_UNAVAILABLE);
    }

    @AfterEach
    void close()
    {
        servers.servers.forEach(Server::close);
        CloseHelper.closeAll(pool, counters);
    }

    @Test
    void handsChunksOnInTheOrderAskedEvenWhenReadsFinishOutOfOrder()
    {
        final Server server = servers.add(new Server("a", TransportKind.LOCAL));
        server.holding = true;
        final ReadPipeline pipeline = pipeline(8, 3, 50 * MS);
        final int[] chunks = { 5, 2, 9, 0, 14 };
        for (int i = 0; i < chunks.length; i++)
        {
            pipeline.add(100 + i, EPOCH, chunks[i]);
        }
        assertEquals(5, pipeline.outstanding());

        settle(pipeline);
        assertEquals(5, server.accepted.size(), "every read is in flight at once");
        assertEquals(List.of(), recorder.events);

        server.complete(9);
        server.complete(14);
        settle(pipeline);
        assertEquals(List.of(), recorder.events, "chunks 9 and 14 wait for 5 and 2, asked for before them");

        server.complete(5);
        settle(pipeline);
        assertEquals(List.of("read 100 chunk 5"), recorder.events);

        server.complete(0);
        server.complete(2);
        settle(pipeline);
        assertEquals(List.of(
            "read 100 chunk 5", "read 101 chunk 2", "read 102 chunk 9", "read 103 chunk 0", "read 104 chunk 14"),
            recorder.events);
        assertEquals(0, pipeline.outstanding());
        for (int i = 0; i < chunks.length; i++)
        {
            assertChunkInBuffer(chunks[i], recorder.buffers.get(100L + i));
        }
        assertEquals(Set.of(EPOCH), recorder.epochs);
        assertEquals(chunks.length, counter(CounterType.CHUNKS_READ_LOCAL));
        assertEquals(Arrays.stream(chunks).mapToLong(ReadPipelineTest::fileLength).sum(),
            counter(CounterType.BYTES_READ_LOCAL));
        assertEquals(0, counter(CounterType.READ_RETRIES));
        assertEquals(List.of(), errors);
    }

    @Test
    void aChecksumMismatchIsRetriedOnTheNextServerAndCounted()
    {
        final Server corrupting = servers.add(new Server("a", TransportKind.LOCAL));
        final Server healthy = servers.add(new Server("b", TransportKind.UDP));
        final int chunkId = 6;
        corrupting.corrupt(chunkId);
        final ReadPipeline pipeline = pipeline(4, 3, 50 * MS);

        pipeline.add(7, EPOCH, chunkId);
        settle(pipeline);

        assertEquals(List.of("read 7 chunk 6"), recorder.events);
        assertEquals(List.of(chunkId), corrupting.chunksAccepted());
        assertEquals(List.of(chunkId), healthy.chunksAccepted(), "the retry went to the next server");
        final int buffer = recorder.buffers.get(7L);
        assertChunkInBuffer(chunkId, buffer);
        assertEquals(manifest.chunkCrc(chunkId), crcOf(pool.byteBuffer(buffer), manifest.chunkLength(chunkId)));

        assertEquals(1, counter(CounterType.CHECKSUM_FAILURES));
        assertEquals(1, counter(CounterType.READ_RETRIES));
        assertEquals(0, counter(CounterType.READ_FAILURES));
        assertEquals(0, counter(CounterType.CHUNKS_UNAVAILABLE));
        assertEquals(1, counter(CounterType.CHUNKS_READ_LOCAL), "the corrupt read counts as read over local");
        assertEquals(1, counter(CounterType.CHUNKS_READ_UDP));
        assertEquals(fileLength(chunkId), counter(CounterType.BYTES_READ_LOCAL));
        assertEquals(fileLength(chunkId), counter(CounterType.BYTES_READ_UDP));
        assertEquals(List.of(), errors);
    }

    @Test
    void recordBoundariesAreFoundInTheBytesAndBytesThatFrameOtherRecordsThanTheManifestSaysAreNotHandedOn()
    {
        servers.add(new Server("a", TransportKind.LOCAL));
        final int goodChunk = 3;
        final int badChunk = 5;
        final Manifest lying = withRecordCount(badChunk, manifest.chunkRecordCount(badChunk) + 1);
        pool = new BufferPool(4, manifest.maxChunkLength(), new DirectMemoryAllocator());
        final ReadPipeline pipeline =
            new ReadPipeline(pool, ChunkDescriptors.of(lying), servers, counters, 2, 50 * MS, errors::add);

        pipeline.add(1, EPOCH, goodChunk);
        pipeline.add(2, EPOCH, badChunk);
        settle(pipeline);

        assertEquals(List.of("read 1 chunk 3", "unavailable 2 chunk 5"), recorder.events);
        final RecordTable records = pipeline.records(recorder.buffers.get(1L));
        final long firstRecord = manifest.chunkFirstRecord(goodChunk);
        assertEquals(manifest.chunkRecordCount(goodChunk), records.count());
        for (int i = 0; i < records.count(); i++)
        {
            assertEquals(dataset.recordOffset(firstRecord + i), manifest.chunkOffset(goodChunk) + records.offset(i));
            assertEquals(dataset.recordLength(firstRecord + i), records.length(i));
        }

        final String message = recorder.messages.get(2L);
        final String file = dataset.recordShard(manifest.chunkFirstRecord(badChunk));
        final long end = manifest.chunkOffset(badChunk) + manifest.chunkLength(badChunk);
        assertTrue(message.contains(file + ": offset " + end + ": chunk " + badChunk), message);
        assertTrue(message.contains("the layout says " + lying.chunkRecordCount(badChunk) + " records"), message);
        assertEquals(0, counter(CounterType.CHECKSUM_FAILURES), "the bytes are those the CRC32C covers");
        assertEquals(2, counter(CounterType.READ_FAILURES));
        assertEquals(1, counter(CounterType.CHUNKS_UNAVAILABLE));
        assertEquals(List.of(), errors);
    }

    @Test
    void afterMaxAttemptsTheChunkIsReportedUnavailableNamingItsFileAndOffsetAndItsPlaceIsSkipped()
    {
        final Server failing = servers.add(new Server("a", TransportKind.LOCAL));
        final Server corrupting = servers.add(new Server("b", TransportKind.LOCAL));
        final int badChunk = 7;
        failing.fail(badChunk);
        corrupting.corrupt(badChunk);
        final ReadPipeline pipeline = pipeline(4, 3, 50 * MS);

        pipeline.add(1, EPOCH, 3);
        pipeline.add(2, EPOCH, badChunk);
        pipeline.add(3, EPOCH, 11);
        settle(pipeline);

        assertEquals(List.of("read 1 chunk 3", "unavailable 2 chunk 7", "read 3 chunk 11"), recorder.events);
        assertEquals(List.of(badChunk, badChunk), failing.chunksAccepted().stream().filter(c -> c == badChunk).toList(),
            "attempts 1 and 3 on the first server");
        assertEquals(List.of(badChunk), corrupting.chunksAccepted().stream().filter(c -> c == badChunk).toList(),
            "attempt 2 on the second");

        final String message = recorder.messages.get(2L);
        final long firstRecord = manifest.chunkFirstRecord(badChunk);
        final String file = dataset.recordShard(firstRecord);
        final long offset = dataset.recordOffset(firstRecord);
        assertEquals("shard-00001.tfrecord", file, "the chunk chosen lies in the second shard, past its start");
        assertTrue(offset > 0);
        assertTrue(message.contains(file + " at " + offset), message);
        assertTrue(message.contains("chunk " + badChunk), message);
        assertTrue(message.contains("3 reads"), message);
        assertTrue(message.contains(IO_ERROR), "the last failure: " + message);

        assertEquals(1, counter(CounterType.CHUNKS_UNAVAILABLE));
        assertEquals(2, counter(CounterType.READ_RETRIES));
        assertEquals(2, counter(CounterType.READ_FAILURES));
        assertEquals(1, counter(CounterType.CHECKSUM_FAILURES));
        assertEquals(0, pipeline.outstanding());
        assertEquals(pool.capacity() - 2, pool.available(), "the unavailable chunk's buffer is back in the pool");
        assertChunkInBuffer(3, recorder.buffers.get(1L));
        assertChunkInBuffer(11, recorder.buffers.get(3L));
        assertEquals(List.of(), errors);
    }

    @Test
    void aRegionWithoutServerIsAskedForWithBackoffAndFailsOnlyAfterTheRegionWait()
    {
        final long regionWaitNs = 50 * MS;
        final ReadPipeline pipeline = pipeline(2, 1, regionWaitNs);
        final int chunkId = 4;
        pipeline.add(9, EPOCH, chunkId);

        while (nowNs < START_NS + regionWaitNs)
        {
            settle(pipeline);
            assertEquals(List.of(), recorder.events, "failed before the region wait at " + elapsedMs() + " ms");
            nowNs += MS / 2;
        }
        final List<Long> askedMs = servers.askedAtNs.stream().map(ns -> (ns - START_NS) / MS).toList();
        assertEquals(List.of(0L, 1L, 3L, 7L, 15L, 31L), askedMs, "asked at 1 ms doubling");

        final long failBy = START_NS + regionWaitNs + 100 * MS;
        while (recorder.events.isEmpty() && nowNs <= failBy)
        {
            settle(pipeline);
            nowNs += MS / 2;
        }
        assertEquals(List.of("unavailable 9 chunk 4"), recorder.events, "failed at most 100 ms after the wait");
        final String message = recorder.messages.get(9L);
        assertTrue(message.contains("region " + manifest.chunkShard(chunkId) + " within 50 ms"), message);
        assertTrue(message.contains(dataset.recordShard(manifest.chunkFirstRecord(chunkId))), message);
        assertEquals(1, counter(CounterType.CHUNKS_UNAVAILABLE));
        assertEquals(0, counter(CounterType.READ_FAILURES));
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void aRegionWhoseServerAppearsWithinTheWaitIsRead()
    {
        final ReadPipeline pipeline = pipeline(2, 1, 50 * MS);
        pipeline.add(9, EPOCH, 4);
        while (nowNs < START_NS + 40 * MS)
        {
            settle(pipeline);
            nowNs += MS;
        }
        assertEquals(List.of(), recorder.events);

        servers.add(new Server("late", TransportKind.LOCAL));
        while (recorder.events.isEmpty() && nowNs < START_NS + 200 * MS)
        {
            settle(pipeline);
            nowNs += MS;
        }

        assertEquals(List.of("read 9 chunk 4"), recorder.events);
        assertTrue(nowNs <= START_NS + 50 * MS + 100 * MS, "read " + elapsedMs() + " ms after it was asked for");
        assertChunkInBuffer(4, recorder.buffers.get(9L));
        assertEquals(0, counter(CounterType.READ_RETRIES), "waiting for a server is not a retry");
        assertEquals(0, counter(CounterType.CHUNKS_UNAVAILABLE));
        assertEquals(1, counter(CounterType.CHUNKS_READ_LOCAL));
    }

    @Test
    void backPressureHoldsTheChunkAndOffersItAgain()
    {
        servers.add(new Server("a", TransportKind.LOCAL));
        final ReadPipeline pipeline = pipeline(4, 3, 50 * MS);
        pipeline.add(1, EPOCH, 12);
        pipeline.add(2, EPOCH, 13);
        recorder.refusals = 2;

        pipeline.doWork(nowNs, recorder);
        pipeline.doWork(nowNs, recorder);
        assertEquals(List.of(), recorder.events);
        assertEquals(2, recorder.offers.size(), "offered once per cycle, the next chunk not before it: " +
            recorder.offers);
        assertEquals(recorder.offers.get(0), recorder.offers.get(1), "the same chunk in the same buffer");
        assertTrue(recorder.offers.get(0).startsWith("chunk 12 "), recorder.offers.toString());
        assertEquals(2, pipeline.outstanding());
        assertEquals(pool.capacity() - 2, pool.available(), "both buffers stay claimed");

        pipeline.doWork(nowNs, recorder);
        assertEquals(List.of("read 1 chunk 12", "read 2 chunk 13"), recorder.events);
        assertEquals(recorder.offers.get(0), recorder.offers.get(2));
        assertChunkInBuffer(12, recorder.buffers.get(1L));
        assertChunkInBuffer(13, recorder.buffers.get(2L));
        assertEquals(2, counter(CounterType.CHUNKS_READ_LOCAL), "each chunk read once");
        assertEquals(0, pipeline.outstanding());
    }

    @Test
    void buffersGoBackToThePoolOnlyOnRelease()
    {
        final Server server = servers.add(new Server("a", TransportKind.LOCAL));
        final ReadPipeline pipeline = pipeline(2, 3, 50 * MS);
        pipeline.add(1, EPOCH, 0);
        pipeline.add(2, EPOCH, 1);
        pipeline.add(3, EPOCH, 2);

        for (int i = 0; i < 5; i++)
        {
            settle(pipeline);
            nowNs += MS;
        }
        assertEquals(List.of("read 1 chunk 0", "read 2 chunk 1"), recorder.events);
        assertEquals(0, pool.available());
        assertEquals(List.of(0, 1), server.chunksAccepted(), "no buffer for the third read");
        assertEquals(1, pipeline.outstanding());

        final int first = recorder.buffers.get(1L);
        final int second = recorder.buffers.get(2L);
        pipeline.release(first);
        assertEquals(1, pool.available());
        settle(pipeline);
        assertEquals(List.of("read 1 chunk 0", "read 2 chunk 1", "read 3 chunk 2"), recorder.events);
        assertEquals(first, recorder.buffers.get(3L), "the third chunk lands in the buffer given back");
        assertChunkInBuffer(1, second);
        assertChunkInBuffer(2, first);
        assertEquals(0, pool.available());

        pipeline.release(second);
        pipeline.release(first);
        assertEquals(2, pool.available());
        assertThrows(IllegalStateException.class, () -> pipeline.release(first));
    }

    @Test
    void readsInFlightOnAClosedReaderAreTriedOnAnotherServer()
    {
        final Server closing = servers.add(new Server("a", TransportKind.LOCAL));
        final Server other = servers.add(new Server("b", TransportKind.UDP));
        closing.holding = true;
        final ReadPipeline pipeline = pipeline(4, 3, 50 * MS);
        pipeline.add(1, EPOCH, 8);
        pipeline.add(2, EPOCH, 10);
        settle(pipeline);
        assertEquals(List.of(8, 10), closing.chunksAccepted());
        assertEquals(List.of(), recorder.events);

        closing.open = false;
        pipeline.onReaderClosed(closing);
        settle(pipeline);

        assertEquals(List.of("read 1 chunk 8", "read 2 chunk 10"), recorder.events);
        assertEquals(List.of(8, 10), other.chunksAccepted());
        assertChunkInBuffer(8, recorder.buffers.get(1L));
        assertChunkInBuffer(10, recorder.buffers.get(2L));
        assertEquals(2, counter(CounterType.READ_FAILURES));
        assertEquals(2, counter(CounterType.READ_RETRIES));
        assertEquals(2, counter(CounterType.CHUNKS_READ_UDP));
        assertEquals(0, counter(CounterType.CHUNKS_READ_LOCAL));

        closing.complete(8);
        closing.complete(10);
        settle(pipeline);
        assertEquals(2, recorder.events.size(), "a late completion from the closed reader is not handed on");
        assertEquals(2, errors.size(), "each late completion is reported: " + errors);
        assertTrue(errors.get(0).contains("not in flight"), errors.get(0));
    }

    /**
     * A data server whose connection goes: its reader fails the reads it holds at once and says it is not
     * available, so they are read from the replica in the same duty cycles, with no time passing (not at a read
     * timeout), each counted as a failure and a retry; later reads go to the replica alone.
     */
    @Test
    void readsOfAServerThatGoesDownMoveToTheReplicaAtOnceAndCountAsRetries()
    {
        final Server dying = servers.add(new Server("a", TransportKind.UDP));
        final Server replica = servers.add(new Server("b", TransportKind.UDP));
        dying.holding = true;
        final ReadPipeline pipeline = pipeline(4, 3, 50 * MS);
        pipeline.add(1, EPOCH, 8);
        pipeline.add(2, EPOCH, 10);
        settle(pipeline);
        assertEquals(List.of(8, 10), dying.chunksAccepted());
        assertEquals(List.of(), recorder.events);

        dying.goDown();
        settle(pipeline);

        assertEquals(List.of("read 1 chunk 8", "read 2 chunk 10"), recorder.events);
        assertEquals(List.of(8, 10), replica.chunksAccepted());
        assertChunkInBuffer(8, recorder.buffers.get(1L));
        assertChunkInBuffer(10, recorder.buffers.get(2L));
        assertEquals(2, counter(CounterType.READ_FAILURES));
        assertEquals(2, counter(CounterType.READ_RETRIES));
        assertEquals(0, elapsedMs(), "no time passed");

        pipeline.add(3, EPOCH, 9);
        settle(pipeline);
        assertEquals("read 3 chunk 9", recorder.events.get(2));
        assertEquals(List.of(8, 10), dying.chunksAccepted(), "a down server gets no read");
        assertEquals(List.of(), errors);
    }

    @Test
    void aReaderThatPushesBackIsAskedAgainWithoutCountingARetry()
    {
        final Server server = servers.add(new Server("a", TransportKind.LOCAL));
        server.capacity = 1;
        final ReadPipeline pipeline = pipeline(4, 1, 50 * MS);
        pipeline.add(1, EPOCH, 3);
        pipeline.add(2, EPOCH, 4);
        pipeline.add(3, EPOCH, 5);

        for (int i = 0; i < 10 && recorder.events.size() < 3; i++)
        {
            settle(pipeline);
        }

        assertEquals(List.of("read 1 chunk 3", "read 2 chunk 4", "read 3 chunk 5"), recorder.events);
        assertTrue(server.refused > 0, "the reader pushed back");
        assertEquals(0, counter(CounterType.READ_RETRIES));
        assertEquals(0, counter(CounterType.CHUNKS_UNAVAILABLE), "a push back is no failed attempt");
    }

    @Test
    void abandonForgetsChunksNotHandedOnAndFreesTheirBuffersOnceTheirReadsFinish()
    {
        final Server server = servers.add(new Server("a", TransportKind.LOCAL));
        server.holding = true;
        final ReadPipeline pipeline = pipeline(2, 3, 50 * MS);
        pipeline.add(1, EPOCH, 0);
        pipeline.add(2, EPOCH, 1);
        pipeline.add(3, EPOCH, 2);
        settle(pipeline);
        server.complete(0);
        settle(pipeline);
        assertEquals(List.of("read 1 chunk 0"), recorder.events);
        final int held = recorder.buffers.get(1L);

        pipeline.abandon();
        assertEquals(0, pipeline.outstanding());
        assertEquals(0, pool.available(), "chunk 1's read is still in flight into its buffer");

        server.complete(1);
        settle(pipeline);
        assertEquals(List.of("read 1 chunk 0"), recorder.events, "nothing abandoned is handed on");
        assertEquals(1, pool.available(), "chunk 1's buffer came back when its read finished");
        assertEquals(List.of(0, 1), server.chunksAccepted(), "chunk 2 was never read");

        server.holding = false;
        pipeline.add(4, EPOCH, 15);
        settle(pipeline);
        assertEquals(List.of("read 1 chunk 0", "read 4 chunk 15"), recorder.events);
        assertChunkInBuffer(0, held);
        assertChunkInBuffer(15, recorder.buffers.get(4L));
        assertEquals(List.of(), errors);
    }

    /**
     * A {@link org.agrona.concurrent.NanoClock} may start anywhere: {@link System#nanoTime()} may be negative.
     */
    @Test
    void aRetryIsNotHeldBackByAClockBelowZero()
    {
        nowNs = -TimeUnit.SECONDS.toNanos(30);
        final Server corrupting = servers.add(new Server("a", TransportKind.LOCAL));
        servers.add(new Server("b", TransportKind.LOCAL));
        corrupting.corrupt(6);
        final ReadPipeline pipeline = pipeline(2, 3, 50 * MS);
        pipeline.add(1, EPOCH, 6);

        for (int i = 0; i < 10 && recorder.events.isEmpty(); i++)
        {
            settle(pipeline);
            nowNs += MS;
        }

        assertEquals(List.of("read 1 chunk 6"), recorder.events);
        assertChunkInBuffer(6, recorder.buffers.get(1L));
        assertEquals(1, counter(CounterType.READ_RETRIES));
    }

    /**
     * The manifest with one chunk's record count changed, sealed with a valid CRC32C: its bytes do not say so.
     */
    private static Manifest withRecordCount(final int chunkId, final int records)
    {
        final byte[] bytes = manifest.toBytes();
        final int chunkEntryBytes = 24;
        final int entry = bytes.length - 2 * Integer.BYTES - chunkEntryBytes * (manifest.chunkCount() - chunkId);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(entry + Integer.BYTES + Long.BYTES + Integer.BYTES, records);
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - Integer.BYTES);
        buffer.putInt(bytes.length - Integer.BYTES, (int)crc.getValue());
        return Manifest.fromBytes(new UnsafeBuffer(bytes), 0, bytes.length, "test");
    }

    private ReadPipeline pipeline(final int buffers, final int maxAttempts, final long regionWaitNs)
    {
        pool = new BufferPool(buffers, manifest.maxChunkLength(), new DirectMemoryAllocator());
        return new ReadPipeline(
            pool, ChunkDescriptors.of(manifest), servers, counters, maxAttempts, regionWaitNs, errors::add);
    }

    /**
     * Duty cycles at the current time until nothing more happens.
     */
    private void settle(final ReadPipeline pipeline)
    {
        for (int i = 0; i < 20; i++)
        {
            if (0 == pipeline.doWork(nowNs, recorder))
            {
                return;
            }
        }
    }

    private long counter(final CounterType type)
    {
        return counters.get(type).get();
    }

    private long elapsedMs()
    {
        return (nowNs - START_NS) / MS;
    }

    /**
     * The buffer holds the chunk's bytes as they are in its shard file, whose CRC32C the manifest has.
     */
    private void assertChunkInBuffer(final int chunkId, final int buffer)
    {
        final byte[] expected = fileBytes(chunkId);
        final byte[] actual = new byte[expected.length];
        pool.buffer(buffer).getBytes(0, actual);
        assertArrayEquals(expected, actual, "chunk " + chunkId + " in buffer " + buffer);
        final CRC32C crc = new CRC32C();
        crc.update(expected);
        assertEquals(manifest.chunkCrc(chunkId), (int)crc.getValue());
    }

    /**
     * @return the chunk's bytes from its shard file, found from where the generator wrote its records.
     */
    private static byte[] fileBytes(final int chunkId)
    {
        final long firstRecord = manifest.chunkFirstRecord(chunkId);
        final long lastRecord = firstRecord + manifest.chunkRecordCount(chunkId) - 1;
        final int shard = dataset.shardNames().indexOf(dataset.recordShard(firstRecord));
        final int from = (int)dataset.recordOffset(firstRecord);
        final int to = (int)(dataset.recordOffset(lastRecord) + dataset.recordLength(lastRecord));
        return Arrays.copyOfRange(shardBytes[shard], from, to);
    }

    private static long fileLength(final int chunkId)
    {
        return fileBytes(chunkId).length;
    }

    private static int crcOf(final ByteBuffer buffer, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().clear().limit(length));
        return (int)crc.getValue();
    }

    private static ServerAdvertisement advertisement(final String name)
    {
        final ServerAdvertisement server = new ServerAdvertisement(name.hashCode(), manifest.datasetId(), "host",
            TransportKind.LOCAL.addTo((byte)0), "", "");
        for (int shard = 0; shard < manifest.shardCount(); shard++)
        {
            server.addRegion(new ServerAdvertisement.Region(shard, manifest.shardLength(shard),
                directory.resolve(manifest.shardPath(shard)).toString(), 0, 0));
        }
        return server;
    }

    /**
     * What the pipeline handed on, in order.
     */
    private static final class Recorder implements ReadPipeline.Listener
    {
        final List<String> events = new ArrayList<>();
        final List<String> offers = new ArrayList<>();
        final Map<Long, Integer> buffers = new HashMap<>();
        final Map<Long, String> messages = new HashMap<>();
        final Set<Integer> epochs = new HashSet<>();
        int refusals;

        @Override
        public boolean onChunkRead(final int buffer, final long tag, final int epoch, final int chunkId)
        {
            offers.add("chunk " + chunkId + " in buffer " + buffer);
            if (refusals > 0)
            {
                refusals--;
                return false;
            }
            events.add("read " + tag + " chunk " + chunkId);
            buffers.put(tag, buffer);
            epochs.add(epoch);
            return true;
        }

        @Override
        public void onChunkUnavailable(final long tag, final int epoch, final int chunkId, final String message)
        {
            events.add("unavailable " + tag + " chunk " + chunkId);
            messages.put(tag, message);
            epochs.add(epoch);
        }
    }

    /**
     * The data servers: every one exports every region; attempt {@code n} goes to the {@code n}th open server.
     */
    private final class Directory implements ReadPipeline.Readers
    {
        final List<Server> servers = new ArrayList<>();
        final List<Long> askedAtNs = new ArrayList<>();

        Server add(final Server server)
        {
            servers.add(server);
            return server;
        }

        @Override
        public DataReader readerFor(final int regionId, final int spread, final int attempt)
        {
            askedAtNs.add(nowNs);
            final List<Server> open = servers.stream().filter(server -> server.open).toList();
            return open.isEmpty() ? null : open.get(attempt % open.size());
        }

        @Override
        public int poll(final ReadCompletionHandler handler)
        {
            int work = 0;
            for (final Server server : servers)
            {
                work += server.poll(handler);
            }
            return work;
        }
    }

    /**
     * One read as the pipeline asked for it.
     */
    private record Read(long readId, int chunkId, int regionId, long offset, int length, AtomicBuffer destination)
    {
    }

    /**
     * A data server that reads the shard files with a real {@link LocalDataReader}, unless told to fail a chunk's
     * reads, corrupt them, hold them until {@link #complete(int)}, or push back beyond {@link #capacity} reads.
     */
    private static final class Server implements DataReader
    {
        final TransportKind kind;
        final LocalDataReader files;
        final List<Read> accepted = new ArrayList<>();
        final List<Read> held = new ArrayList<>();
        final List<Read> failing = new ArrayList<>();
        final Map<Long, Read> started = new HashMap<>();
        final Set<Integer> failChunks = new HashSet<>();
        final Set<Integer> corruptChunks = new HashSet<>();
        boolean holding;
        boolean open = true;
        int capacity = Integer.MAX_VALUE;
        int refused;

        Server(final String name, final TransportKind kind)
        {
            this.kind = kind;
            files = new LocalDataReader(advertisement(name), 64);
        }

        void fail(final int chunkId)
        {
            failChunks.add(chunkId);
        }

        void corrupt(final int chunkId)
        {
            corruptChunks.add(chunkId);
        }

        /**
         * The connection is gone: the reads held fail on the next poll, and the reader says it is not available.
         */
        void goDown()
        {
            open = false;
            failing.addAll(held);
            held.clear();
        }

        List<Integer> chunksAccepted()
        {
            return accepted.stream().map(Read::chunkId).toList();
        }

        /**
         * Let a held read of the chunk go: it completes on the next poll.
         */
        void complete(final int chunkId)
        {
            final Read read = held.stream().filter(r -> r.chunkId() == chunkId).findFirst().orElseThrow();
            held.remove(read);
            start(read);
        }

        @Override
        public TransportKind kind()
        {
            return kind;
        }

        @Override
        public boolean read(
            final long readId,
            final int regionId,
            final long offset,
            final int length,
            final AtomicBuffer destination,
            final int destinationOffset)
        {
            assertEquals(0, destinationOffset);
            if (inFlight() >= capacity)
            {
                refused++;
                return false;
            }
            final Read read = new Read(readId, chunkAt(regionId, offset), regionId, offset, length, destination);
            assertEquals(manifest.chunkLength(read.chunkId()), length);
            accepted.add(read);
            if (failChunks.contains(read.chunkId()))
            {
                failing.add(read);
            }
            else if (holding)
            {
                held.add(read);
            }
            else
            {
                start(read);
            }
            return true;
        }

        @Override
        public int poll(final ReadCompletionHandler handler)
        {
            final List<Read> failed = new ArrayList<>(failing);
            failing.clear();
            for (final Read read : failed)
            {
                handler.onReadFailed(read.readId(), IO_ERROR);
            }
            return failed.size() + files.poll(new ReadCompletionHandler()
            {
                @Override
                public void onReadComplete(final long readId)
                {
                    final Read read = started.remove(readId);
                    if (corruptChunks.contains(read.chunkId()))
                    {
                        final int index = read.length() / 2;
                        read.destination().putByte(index, (byte)~read.destination().getByte(index));
                    }
                    handler.onReadComplete(readId);
                }

                @Override
                public void onReadFailed(final long readId, final String reason)
                {
                    started.remove(readId);
                    handler.onReadFailed(readId, reason);
                }
            });
        }

        @Override
        public int inFlight()
        {
            return held.size() + failing.size() + started.size();
        }

        @Override
        public boolean isAvailable()
        {
            return open;
        }

        @Override
        public void close()
        {
            files.close();
        }

        private void start(final Read read)
        {
            started.put(read.readId(), read);
            assertTrue(files.read(read.readId(), read.regionId(), read.offset(), read.length(), read.destination(), 0));
        }

        private static int chunkAt(final int regionId, final long offset)
        {
            for (int chunkId = 0; chunkId < manifest.chunkCount(); chunkId++)
            {
                if (manifest.chunkShard(chunkId) == regionId && manifest.chunkOffset(chunkId) == offset)
                {
                    return chunkId;
                }
            }
            throw new AssertionError("no chunk at " + offset + " of region " + regionId);
        }
    }
}
