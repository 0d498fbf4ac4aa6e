package io.stoker.worker;

import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.ChunkRecords;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.GeneratedDataset;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.RecordTable;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.JobSpec;
import io.stoker.plan.Piece;
import io.stoker.plan.RankStream;
import io.stoker.plan.SampleSpace;
import io.stoker.plan.Segment;
import io.stoker.transport.control.StreamId;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch stage over real plans of a real generated dataset (TFRecord, so chunks hold different numbers of
 * records of different lengths), a real buffer pool and the real host sink, wired as the worker wires them: the
 * test plays the read pipeline, filling pool buffers from the shard files and offering them to the sink, and the
 * consumer, taking batches from the feed and releasing them.
 */
class BatchAssemblerTest
{
    private static final int RANK = 1;
    private static final int EPOCH = 2;
    private static final long SEED = 42;
    private static final int WORLD_SIZE = 2;
    private static final int BATCH_SIZE = 16;
    private static final String REASON = "every read of the chunk failed: injected";

    @TempDir
    static Path directory;

    private static GeneratedDataset dataset;
    private static Manifest manifest;
    private static SampleSpace space;
    private static byte[][] shardBytes;

    private final List<String> events = new ArrayList<>();
    private final List<String> readsAsked = new ArrayList<>();
    private final Recorder recorder = new Recorder();
    private final ChunkRecords chunkRecords = new ChunkRecords();
    private final RecordTable records = new RecordTable();
    private final BatchAssembler.PieceReader reader =
        (work, piece) -> readsAsked.add(work.stream() + ":" + piece);
    private BufferPool pool;
    private Feed<Batch<HostChunk>> feed;
    private BatchAssembler<HostChunk> assembler;
    private HostSink sink;

    @BeforeAll
    static void generateDataset() throws IOException
    {
        dataset = DatasetGenerator.generate(directory, FormatSpec.parse("tfrecord:1000"), 768 << 10, 7, 256 << 10);
        manifest = DatasetIndexer.index(directory, null, DatasetIndexer.MIN_CHUNK_SIZE);
        final int[] recordCounts = new int[manifest.chunkCount()];
        for (int chunkId = 0; chunkId < recordCounts.length; chunkId++)
        {
            recordCounts[chunkId] = manifest.chunkRecordCount(chunkId);
        }
        space = new SampleSpace(recordCounts);
        shardBytes = new byte[dataset.shardNames().size()][];
        for (int shard = 0; shard < shardBytes.length; shard++)
        {
            shardBytes[shard] = Files.readAllBytes(directory.resolve(dataset.shardNames().get(shard)));
        }
    }

    @AfterEach
    void close()
    {
        CloseHelper.closeAll(sink, pool);
    }

    @ParameterizedTest
    @EnumSource(DropPolicy.class)
    void batchesHoldThePlansSamplesInOrderOneBatchPerStepOfTheBatchSize(final DropPolicy policy)
    {
        final long samples = dataset.recordCount();
        final long perStep = (long)WORLD_SIZE * BATCH_SIZE;
        final long rest = samples - samples / perStep * perStep;
        assertTrue(rest > 0, "the dataset does not fill its last global step");
        final int steps = (int)(samples / perStep) + (policy == DropPolicy.PARTIAL ? 1 : 0);
        final int lastSize = policy == DropPolicy.PARTIAL ?
            (int)(rest / WORLD_SIZE + (0 < rest % WORLD_SIZE ? 1 : 0)) : BATCH_SIZE;

        final StreamWork work = stream(0, new BatchSpec(BATCH_SIZE, 2, policy), WORLD_SIZE, 0);
        final RankStream plan = work.plan();
        assertEquals(steps, plan.steps());
        start(plan.pieceCount(), 256);
        for (int step = 0; step < steps; step++)
        {
            assembler.addStep(work, step, reader);
        }
        assertEquals(pieces(0, 0, plan.pieceCount() - 1), readsAsked, "each piece read once for all its steps");
        assertEquals(steps, assembler.queuedSteps());
        for (int piece = 0; piece < plan.pieceCount(); piece++)
        {
            deliver(work, piece);
        }
        cycle();

        final List<Batch<HostChunk>> batches = drain();
        assertEquals(steps, batches.size());
        final List<String> delivered = new ArrayList<>();
        for (int step = 0; step < steps; step++)
        {
            final Batch<HostChunk> batch = batches.get(step);
            assertEquals(step < steps - 1 ? BATCH_SIZE : lastSize, batch.size(), "step " + step);
            assertBatchIsStep(work, step, batch, Set.of());
            delivered.add("delivered 0:" + step);
        }
        assertEquals(delivered, events);
        assertEquals(0, assembler.queuedSteps());

        batches.forEach(Batch::release);
        cycle();
        assertEquals(plan.pieceCount(), pool.available(), "every chunk back once every batch was released");
        assertEquals(steps * 2, events.size(), "each step released once: " + events);
        assertFalse(feed.isFinished());
    }

    @Test
    void aBatchLeavesOnceEveryChunkOfItsStepIsInAndBatchesLeaveInStepOrder()
    {
        final StreamWork work = stream(0, new BatchSpec(100, 1, DropPolicy.PARTIAL), 1, 0);
        final RankStream plan = work.plan();
        start(plan.pieceCount(), 256);
        for (int step = 0; step < plan.steps(); step++)
        {
            assembler.addStep(work, step, reader);
        }
        assertEquals(pieces(0, 0, plan.pieceCount() - 1), readsAsked);

        final int[] arrivals = { 3, 0, 2, 1, 6, 5, 4, 7, 8, 9, 15, 14, 13, 12, 11, 10 };
        assertEquals(plan.pieceCount(), arrivals.length);
        final Set<Integer> arrived = new HashSet<>();
        final List<Batch<HostChunk>> batches = new ArrayList<>();
        for (final int piece : arrivals)
        {
            deliver(work, piece);
            arrived.add(piece);
            cycle();
            batches.addAll(drain());
            int ready = 0;
            while (ready < plan.steps() && arrived.containsAll(piecesUsed(plan, ready)))
            {
                ready++;
            }
            assertEquals(ready, batches.size(), "batches after pieces " + arrived + " arrived");
        }

        assertEquals(plan.steps(), batches.size());
        int spanning = 0;
        for (int step = 0; step < plan.steps(); step++)
        {
            final Batch<HostChunk> batch = batches.get(step);
            assertBatchIsStep(work, step, batch, Set.of());
            final List<Integer> chunks = new ArrayList<>(new LinkedHashSet<>(chunksUsed(plan, step)));
            assertEquals(chunks.size(), batch.chunkCount(), "step " + step);
            for (int i = 0; i < chunks.size(); i++)
            {
                assertEquals(chunks.get(i), batch.chunkAt(i).chunkId(), "step " + step + "'s chunk " + i);
            }
            spanning += chunks.size() > 2 ? 1 : 0;
        }
        assertTrue(spanning > 0, "some step spans more than two chunks");
        batches.forEach(Batch::release);
        cycle();
        assertEquals(plan.pieceCount(), pool.available());
    }

    @Test
    void aMissingChunkLeavesItsSamplesOutOfEveryStepThatHasSomeAndIsReported()
    {
        final StreamWork work = stream(0, new BatchSpec(BATCH_SIZE, 2, DropPolicy.PARTIAL), WORLD_SIZE, 0);
        final RankStream plan = work.plan();
        final int missingPiece = 1;
        final int missingChunk = plan.piece(missingPiece).chunkId();
        final int steps = 8;
        start(4, 256);
        for (int step = 0; step < steps; step++)
        {
            assembler.addStep(work, step, reader);
        }
        assertEquals(pieces(0, 0, 3), readsAsked, "the first 8 steps take samples from the first two windows");

        assembler.onMissing(BatchAssembler.key(work, missingPiece), REASON);
        deliver(work, 0);
        deliver(work, 2);
        deliver(work, 3);
        cycle();

        final List<Batch<HostChunk>> batches = drain();
        assertEquals(steps, batches.size());
        final List<String> expected = new ArrayList<>();
        for (int step = 0; step < steps; step++)
        {
            final Batch<HostChunk> batch = batches.get(step);
            final long lost = chunksUsed(plan, step).stream().filter(chunk -> chunk == missingChunk).count();
            assertTrue(lost > 0, "step " + step + " takes samples of chunk " + missingChunk);
            assertEquals(lost, batch.missing(), "step " + step);
            assertEquals(BATCH_SIZE - lost, batch.size(), "step " + step);
            assertBatchIsStep(work, step, batch, Set.of(missingChunk));
            expected.add("missing 0:" + step + " chunk " + missingChunk + ": " + REASON);
            expected.add("delivered 0:" + step);
        }
        assertEquals(expected, events);

        batches.forEach(Batch::release);
        cycle();
        assertEquals(4, pool.available());
    }

    @Test
    void aStepThatTakesNoSampleOfAMissingChunkDoesNotReportIt()
    {
        final StreamWork work = stream(0, new BatchSpec(BATCH_SIZE, 2, DropPolicy.PARTIAL), WORLD_SIZE, 0);
        final RankStream plan = work.plan();
        final int missingPiece = 4;
        final int missingChunk = plan.piece(missingPiece).chunkId();
        final int firstStep = 16;
        final int lastStep = 19;
        assertEquals(missingPiece, plan.firstPiece(firstStep));
        assertEquals(missingPiece + 3, plan.lastPiece(lastStep));
        start(4, 256);
        for (int step = firstStep; step <= lastStep; step++)
        {
            assembler.addStep(work, step, reader);
        }
        assertEquals(pieces(0, missingPiece, missingPiece + 3), readsAsked);
        assembler.onMissing(BatchAssembler.key(work, missingPiece), REASON);
        for (int piece = missingPiece + 1; piece <= missingPiece + 3; piece++)
        {
            deliver(work, piece);
        }
        cycle();

        final List<Batch<HostChunk>> batches = drain();
        assertEquals(lastStep - firstStep + 1, batches.size());
        final List<String> expected = new ArrayList<>();
        int untouched = 0;
        for (int step = firstStep; step <= lastStep; step++)
        {
            final Batch<HostChunk> batch = batches.get(step - firstStep);
            final long lost = chunksUsed(plan, step).stream().filter(chunk -> chunk == missingChunk).count();
            assertEquals(lost, batch.missing(), "step " + step);
            assertBatchIsStep(work, step, batch, Set.of(missingChunk));
            if (lost > 0)
            {
                expected.add("missing 0:" + step + " chunk " + missingChunk + ": " + REASON);
            }
            untouched += lost == 0 ? 1 : 0;
            expected.add("delivered 0:" + step);
        }
        assertTrue(untouched > 0, "some step needs the missing piece's window but takes none of its samples");
        assertTrue(untouched < batches.size(), "some step lost samples");
        assertEquals(expected, events);
    }

    @Test
    void aPieceReadAgainAfterAnAbandonKeepsOneChunkAndGivesTheOtherBack()
    {
        final StreamWork work = stream(0, BatchSpec.CHUNKS, WORLD_SIZE, 0);
        start(2, 256);
        assembler.addStep(work, 0, reader);
        deliver(work, 0);
        assembler.abandon(recorder);
        assembler.addStep(work, 0, reader);
        assertEquals(List.of("0:0", "0:0"), readsAsked, "the step, ordered again, reads its piece again");

        cycle();
        final List<Batch<HostChunk>> batches = drain();
        assertEquals(1, batches.size(), "the chunk the sink held through the abandon makes the step");
        assertBatchIsStep(work, 0, batches.get(0), Set.of());

        deliver(work, 0);
        cycle();
        assertEquals(1, pool.available(), "the second copy of the piece went straight back");
        assertBatchIsStep(work, 0, batches.get(0), Set.of());

        batches.get(0).release();
        cycle();
        assertEquals(2, pool.available(), "every buffer is back");
        assertEquals(List.of("dropped 0:0", "delivered 0:0", "released 0:0"), events);
    }

    @Test
    void aChunkGoesBackToThePoolOnlyOnceEveryBatchHoldingItWasReleased()
    {
        final StreamWork work = stream(0, new BatchSpec(BATCH_SIZE, 2, DropPolicy.PARTIAL), WORLD_SIZE, 0);
        final RankStream plan = work.plan();
        final int steps = 16;
        final int pieces = 4;
        assertEquals(pieces - 1, plan.lastPiece(steps - 1), "steps 0 to 15 need the first four pieces");
        start(pieces, 256);
        for (int step = 0; step < steps; step++)
        {
            assembler.addStep(work, step, reader);
        }
        for (int piece = 0; piece < pieces; piece++)
        {
            deliver(work, piece);
        }
        cycle();
        final List<Batch<HostChunk>> batches = drain();
        assertEquals(steps, batches.size());
        events.clear();

        final int[] releases = { 7, 0, 15, 3, 8, 1, 2, 9, 4, 5, 14, 6, 10, 11, 12, 13 };
        final Set<Integer> released = new HashSet<>();
        final List<String> expectedEvents = new ArrayList<>();
        int returned = 0;
        for (final int step : releases)
        {
            final Batch<HostChunk> batch = batches.get(step);
            batch.release();
            assertThrows(IllegalStateException.class, batch::release, "a batch is released once");
            released.add(step);
            expectedEvents.add("released 0:" + step);
            cycle();

            while (pool.available() > 0)
            {
                final int buffer = pool.claim();
                pool.buffer(buffer).setMemory(0, pool.bufferLength(), (byte)0xA5);
                returned++;
            }
            int free = 0;
            for (int piece = 0; piece < pieces; piece++)
            {
                boolean used = false;
                for (int s = 0; s < steps; s++)
                {
                    used |= !released.contains(s) && plan.firstPiece(s) <= piece && piece <= plan.lastPiece(s);
                }
                free += used ? 0 : 1;
            }
            assertEquals(free, returned, "chunks back after releasing steps " + released);
            for (int s = 0; s < steps; s++)
            {
                if (!released.contains(s))
                {
                    assertBatchIsStep(work, s, batches.get(s), Set.of());
                }
            }
        }
        assertEquals(expectedEvents, events);
        assertEquals(pieces, returned);
    }

    @Test
    void abandonDropsQueuedStepsAndTheirChunksButBatchesWithTheConsumerStayValid()
    {
        final StreamWork work = stream(0, new BatchSpec(BATCH_SIZE, 2, DropPolicy.PARTIAL), WORLD_SIZE, 0);
        start(4, 256);
        for (int step = 0; step < 10; step++)
        {
            assembler.addStep(work, step, reader);
        }
        deliver(work, 0);
        deliver(work, 1);
        deliver(work, 2);
        cycle();
        final List<Batch<HostChunk>> batches = drain();
        assertEquals(7, batches.size(), "steps 0 to 6 need only the first window; step 7 needs piece 3 too");
        assertEquals(3, assembler.queuedSteps());
        assertEquals(1, pool.available());
        events.clear();

        assembler.abandon(recorder);
        assertEquals(List.of("dropped 0:7", "dropped 0:8", "dropped 0:9"), events);
        assertEquals(0, assembler.queuedSteps());
        cycle();
        assertEquals(2, pool.available(), "piece 2, used by dropped steps alone, went back");

        deliver(work, 3);
        cycle();
        assertEquals(2, pool.available(), "piece 3, read for a dropped step and arriving late, went straight back");
        assertEquals(List.of(), drain());
        assertEquals(3, events.size(), "nothing delivered after the abandon: " + events);

        for (int step = 0; step < batches.size(); step++)
        {
            assertBatchIsStep(work, step, batches.get(step), Set.of());
        }
        batches.forEach(Batch::release);
        cycle();
        assertEquals(4, pool.available());
        assertFalse(feed.isFinished());
    }

    @Test
    void finishDeliversTheReadyStepsThroughAFullFeedThenDropsTheRestAndFinishesTheFeed()
    {
        final StreamWork work = stream(0, new BatchSpec(BATCH_SIZE, 2, DropPolicy.PARTIAL), WORLD_SIZE, 0);
        start(4, 2);
        for (int step = 0; step < 10; step++)
        {
            assembler.addStep(work, step, reader);
        }
        deliver(work, 0);
        deliver(work, 1);
        assembler.finish();

        final List<Batch<HostChunk>> batches = new ArrayList<>();
        for (int round = 0; round < 10 && !feed.isFinished(); round++)
        {
            cycle();
            final List<Batch<HostChunk>> taken = drain();
            assertTrue(taken.size() <= 2, "the feed holds two batches");
            batches.addAll(taken);
            if (batches.size() < 7)
            {
                assertFalse(feed.isFinished(), "finished with " + batches.size() + " of 7 ready batches taken");
                assertTrue(events.stream().noneMatch(event -> event.startsWith("dropped")), events.toString());
            }
        }

        assertTrue(feed.isFinished());
        assertEquals(7, batches.size());
        for (int step = 0; step < batches.size(); step++)
        {
            assertBatchIsStep(work, step, batches.get(step), Set.of());
        }
        assertEquals(List.of("dropped 0:7", "dropped 0:8", "dropped 0:9"),
            events.stream().filter(event -> event.startsWith("dropped")).toList());
        assertEquals(0, assembler.queuedSteps());
        assertEquals(2, pool.available(), "the batches taken still hold the first window's two chunks");
        batches.forEach(Batch::release);
        cycle();
        assertEquals(4, pool.available());
    }

    @Test
    void theChunkFeedHandsEachPieceWholeAsOneStep()
    {
        final StreamWork work = stream(0, BatchSpec.CHUNKS, WORLD_SIZE, 1);
        final RankStream plan = work.plan();
        assertEquals(plan.pieceCount(), plan.steps());
        start(2, 256);
        int split = 0;
        for (int step = 0; step < plan.steps(); step++)
        {
            assembler.addStep(work, step, reader);
            deliver(work, step);
            cycle();
            final List<Batch<HostChunk>> batches = drain();
            assertEquals(1, batches.size());
            final Batch<HostChunk> batch = batches.get(0);
            final Piece piece = plan.piece(step);
            assertEquals(1, batch.chunkCount());
            assertEquals(piece.chunkId(), batch.chunkAt(0).chunkId());
            assertEquals(piece.count(), batch.size());
            for (int i = 0; i < piece.count(); i++)
            {
                assertEquals(piece.record(i), batch.record(i));
            }
            split += piece.count() < manifest.chunkRecordCount(piece.chunkId()) ? 1 : 0;
            assertBatchIsStep(work, step, batch, Set.of());
            batch.release();
            cycle();
            assertEquals(2, pool.available());
        }
        assertTrue(split > 0, "the rank's slice splits a chunk");
    }

    @Test
    void stepsOfTwoStreamsInterleavedKeepToTheirOwnChunks()
    {
        final BatchSpec spec = new BatchSpec(BATCH_SIZE, 2, DropPolicy.PARTIAL);
        final StreamWork own = stream(0, spec, WORLD_SIZE, RANK);
        final StreamWork taken = stream(1, spec, WORLD_SIZE, 0);
        assertNotEquals(own.plan().piece(0).chunkId(), taken.plan().piece(0).chunkId());
        start(4, 256);
        for (int step = 0; step < 3; step++)
        {
            assembler.addStep(own, step, reader);
            assembler.addStep(taken, step, reader);
        }
        assertEquals(List.of("1:0", "1:1", "0:0", "0:1"), readsAsked);
        deliver(taken, 0);
        deliver(taken, 1);
        deliver(own, 0);
        deliver(own, 1);
        cycle();

        final List<Batch<HostChunk>> batches = drain();
        assertEquals(6, batches.size());
        for (int i = 0; i < batches.size(); i++)
        {
            final StreamWork work = i % 2 == 0 ? own : taken;
            assertEquals(work.stream(), batches.get(i).stream());
            assertBatchIsStep(work, i / 2, batches.get(i), Set.of());
        }
        batches.forEach(Batch::release);
        cycle();
        assertEquals(4, pool.available());
    }

    private void start(final int buffers, final int feedCapacity)
    {
        pool = new BufferPool(buffers, manifest.maxChunkLength(), new DirectMemoryAllocator());
        final AtomicCounter waitNs = new AtomicCounter(new UnsafeBuffer(new byte[CountersReader.COUNTER_LENGTH]), 0);
        feed = new Feed<>(feedCapacity, waitNs);
        assembler = new BatchAssembler<>(feed, RANK);
        sink = new HostSink(pool, assembler);
    }

    private static StreamWork stream(final int id, final BatchSpec spec, final int worldSize, final int rank)
    {
        final JobSpec job = JobSpec.of(manifest.datasetId(), worldSize, EPOCH + 1, SEED, spec);
        final Segment segment = job.segment(space, EPOCH);
        return new StreamWork(id, new StreamId(EPOCH, segment.index(), rank), segment.stream(rank));
    }

    /**
     * Play the read pipeline and the sink's input: the piece's chunk, read from its shard file into a pool buffer,
     * goes to the sink, which hands it to the batch stage.
     */
    private void deliver(final StreamWork work, final int piece)
    {
        final int chunkId = work.plan().piece(piece).chunkId();
        final int buffer = pool.claim();
        assertTrue(buffer >= 0, "no free buffer for piece " + piece);
        pool.buffer(buffer).putBytes(0, fileBytes(chunkId));
        chunkRecords.fill(ChunkDescriptors.of(manifest), chunkId, pool.byteBuffer(buffer), records);
        assertTrue(sink.offer(
            buffer, work.epoch(), chunkId, manifest.chunkLength(chunkId), manifest.chunkCrc(chunkId), records));
        assembler.expect(BatchAssembler.key(work, piece));
    }

    /**
     * The worker's duty cycle for this stage: the assembler, then the sink giving released chunks' buffers back.
     */
    private void cycle()
    {
        assembler.doWork(recorder);
        sink.doWork(pool::release);
    }

    private List<Batch<HostChunk>> drain()
    {
        final List<Batch<HostChunk>> batches = new ArrayList<>();
        Batch<HostChunk> batch;
        while (null != (batch = feed.poll()))
        {
            batches.add(batch);
        }
        return batches;
    }

    /**
     * The batch is the plan's step: its samples in the plan's order less those of missing chunks, each a view of
     * the record's bytes as the generator wrote them.
     */
    private static void assertBatchIsStep(
        final StreamWork work, final int step, final Batch<HostChunk> batch, final Set<Integer> missingChunks)
    {
        assertEquals(EPOCH, batch.epoch());
        assertEquals(work.segment(), batch.segment());
        assertEquals(work.stream(), batch.stream());
        assertEquals(step, batch.step());
        assertEquals(RANK, batch.rank());
        final List<String> planned = new ArrayList<>();
        final RankStream plan = work.plan();
        plan.forEachSample(step, (piece, record) ->
        {
            final int chunkId = plan.piece(piece).chunkId();
            if (!missingChunks.contains(chunkId))
            {
                planned.add(chunkId + ":" + record);
            }
        });
        final List<String> samples = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++)
        {
            samples.add(batch.chunkId(i) + ":" + batch.record(i));
        }
        assertEquals(planned, samples, "samples of step " + step);

        for (int i = 0; i < batch.size(); i++)
        {
            final long record = manifest.chunkFirstRecord(batch.chunkId(i)) + batch.record(i);
            final int shard = dataset.shardNames().indexOf(dataset.recordShard(record));
            final int offset = (int)dataset.recordOffset(record);
            final int length = dataset.recordLength(record);
            assertEquals(batch.chunkId(i), batch.chunk(i).chunkId());
            assertEquals(length, batch.length(i), "length of sample " + i + " of step " + step);
            final byte[] bytes = new byte[length];
            batch.chunk(i).buffer().getBytes(batch.offset(i), bytes);
            assertArrayEquals(Arrays.copyOfRange(shardBytes[shard], offset, offset + length), bytes,
                "bytes of sample " + i + " of step " + step);
        }
    }

    private static byte[] fileBytes(final int chunkId)
    {
        final long firstRecord = manifest.chunkFirstRecord(chunkId);
        final long lastRecord = firstRecord + manifest.chunkRecordCount(chunkId) - 1;
        final int shard = dataset.shardNames().indexOf(dataset.recordShard(firstRecord));
        final int from = (int)dataset.recordOffset(firstRecord);
        final int to = (int)(dataset.recordOffset(lastRecord) + dataset.recordLength(lastRecord));
        return Arrays.copyOfRange(shardBytes[shard], from, to);
    }

    private static List<String> pieces(final int stream, final int first, final int last)
    {
        final List<String> pieces = new ArrayList<>();
        for (int piece = first; piece <= last; piece++)
        {
            pieces.add(stream + ":" + piece);
        }
        return pieces;
    }

    private static Set<Integer> piecesUsed(final RankStream plan, final int step)
    {
        final Set<Integer> pieces = new HashSet<>();
        plan.forEachSample(step, (piece, record) -> pieces.add(piece));
        return pieces;
    }

    private static List<Integer> chunksUsed(final RankStream plan, final int step)
    {
        final List<Integer> chunks = new ArrayList<>();
        plan.forEachSample(step, (piece, record) -> chunks.add(plan.piece(piece).chunkId()));
        return chunks;
    }

    /**
     * What the stage told the worker.
     */
    private final class Recorder implements BatchAssembler.Listener
    {
        @Override
        public void onStepDelivered(final Batch<?> batch)
        {
            events.add("delivered " + batch.stream() + ":" + batch.step());
        }

        @Override
        public void onSamplesMissing(final StreamWork work, final int step, final int chunkId, final String reason)
        {
            events.add("missing " + work.stream() + ":" + step + " chunk " + chunkId + ": " + reason);
        }

        @Override
        public void onStepReleased(final StreamWork work, final int step)
        {
            events.add("released " + work.stream() + ":" + step);
        }

        @Override
        public void onStepDropped(final StreamWork work, final int step)
        {
            events.add("dropped " + work.stream() + ":" + step);
        }

        @Override
        public void onBatchTakenBack(final Batch<?> batch)
        {
            events.add("taken back " + batch.stream() + ":" + batch.step());
        }
    }
}
