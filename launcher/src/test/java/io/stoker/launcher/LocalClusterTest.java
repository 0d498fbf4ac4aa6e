package io.stoker.launcher;

import io.aeron.Publication;
import io.stoker.codecs.JobOutcome;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.FormatSpec;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.status.CounterType;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import io.stoker.plan.RankStream;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.Piece;
import io.stoker.plan.Segment;
import io.stoker.worker.Batch;
import io.stoker.worker.ResumeToken;
import io.stoker.worker.WorkerJob;
import io.stoker.worker.WorkerContext;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalClusterTest
{
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0} workers, {1} epochs, {2} KiB chunks, {3}, batches of {4}, {5}")
    @CsvSource({
        "1, 1, 64, fixed:4096, 0, partial",
        "2, 2, 256, fixed:4096, 64, drop-last",
        "3, 2, 128, tfrecord:3000, 50, partial",
        "4, 3, 512, npy:<u2:1000, 100, drop-last",
        "2, 2, 256, webdataset:20000, 7, drop-last",
        "2, 2, 128, megatron:int32:seq:500, 16, drop-last",
        "3, 1, 128, mds:2000, 33, partial",
        "2, 1, 256, megatron, 0, partial",
    })
    void deliversEverySampleExactlyOncePerEpochInThePlannedStepsWithMatchingCrcs(
        final int workers, final int epochs, final int chunkKib, final String format, final int batchSize,
        final String dropPolicy) throws Exception
    {
        final BatchSpec batches = 0 == batchSize ? BatchSpec.CHUNKS :
            new BatchSpec(batchSize, 4, DropPolicy.fromLabel(dropPolicy));
        final LocalFeed feed = LocalFeed.generate(temp, FormatSpec.parse(format), 8 * MIB, 7, 3 * MIB, chunkKib * KIB)
            .run(workers, epochs, 42, batches);

        feed.assertPlannedOrder(epochs);
        feed.assertExactlyOnceWithFileCrcs(epochs);
        assertEquals(JobOutcome.COMPLETE, feed.summary.outcome());
        assertEquals(feed.bytesOfPieces(epochs), feed.summary.bytes(), "bytes read: each piece's chunk once");
        assertEquals(0, feed.summary.checksumFailures());
        assertEquals(0, feed.summary.unavailable());
        assertTrue(feed.errors.isEmpty(), feed.errors.toString());
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final Segment segment = feed.segment(epoch);
            final long dropped = segment.dropped().stream().mapToLong(Piece::count).sum();
            final JobClientAgent.EpochResult result = feed.summary.epochResults().get(epoch);
            assertEquals(feed.manifest.totalRecords() - dropped, result.deliveredSamples(), "epoch " + epoch);
            assertEquals(dropped, result.droppedSamples(), "epoch " + epoch);
            assertEquals(segment.steps(), result.steps(), "epoch " + epoch);
        }
    }

    @Test
    void aPartialLastBatchIsKeptOrDroppedOnEveryRankAlike() throws Exception
    {
        final FormatSpec format = FormatSpec.parse("fixed:4096");
        final LocalFeed partial = LocalFeed.generate(temp.resolve("p"), format, 4 * MIB, 1, 4 * MIB, 64 * KIB)
            .run(3, 1, 11, new BatchSpec(100, 4, DropPolicy.PARTIAL));
        final LocalFeed dropLast = LocalFeed.generate(temp.resolve("d"), format, 4 * MIB, 1, 4 * MIB, 64 * KIB)
            .run(3, 1, 11, new BatchSpec(100, 4, DropPolicy.DROP_LAST));

        final long samples = partial.manifest.totalRecords();
        final long perRank = samples / 3;
        final List<Integer> partialSizes = stepSizes(partial, 0);
        final List<Integer> dropLastSizes = stepSizes(dropLast, 0);
        for (int rank = 1; rank < 3; rank++)
        {
            assertEquals(partialSizes.size(), stepSizes(partial, rank).size(), "partial: steps of rank " + rank);
            assertEquals(dropLastSizes.size(), stepSizes(dropLast, rank).size(), "drop-last: steps of rank " + rank);
        }
        assertEquals((perRank + 99) / 100, partialSizes.size());
        long lastBatches = 0;
        for (int rank = 0; rank < 3; rank++)
        {
            final List<Integer> sizes = stepSizes(partial, rank);
            assertTrue(sizes.subList(0, sizes.size() - 1).stream().allMatch(size -> size == 100), sizes.toString());
            final int last = sizes.get(sizes.size() - 1);
            assertTrue(Math.abs(last - perRank % 100) <= 1, "rank " + rank + "'s last batch: " + last);
            lastBatches += last;
        }
        assertEquals(samples - 3 * 100 * (partialSizes.size() - 1), lastBatches, "every sample kept");
        assertEquals(0, partial.summary.epochResults().get(0).droppedSamples());
        assertEquals(perRank / 100, dropLastSizes.size());
        assertTrue(dropLastSizes.stream().allMatch(size -> size == 100), dropLastSizes.toString());
        assertEquals(samples - 3 * 100 * (perRank / 100), dropLast.summary.epochResults().get(0).droppedSamples());
        partial.assertExactlyOnceWithFileCrcs(1);
        dropLast.assertExactlyOnceWithFileCrcs(1);
    }

    /**
     * A job whose ranks all consumed {@code consumed} steps of epoch 0 (a checkpoint of data-parallel training),
     * resumed from one rank's token on another number of ranks: the rest of epoch 0 is planned over them in
     * equal steps, and across both runs every sample of each epoch is delivered once.
     */
    @ParameterizedTest(name = "{0} ranks to {1} after {2} steps")
    @CsvSource({ "4, 3, 5", "2, 5, 7", "3, 3, 2" })
    void aJobResumedFromATokenOnAnotherWorldSizeNeitherRepeatsNorSkipsASample(
        final int before, final int after, final int consumedSteps) throws Exception
    {
        final BatchSpec batches = new BatchSpec(32, 4, DropPolicy.DROP_LAST);
        final LocalFeed feed = LocalFeed.generate(temp, FormatSpec.parse("tfrecord:3000"), 4 * MIB, 2, 2 * MIB,
            64 * KIB);
        final JobSpec original = JobSpec.of(feed.manifest.datasetId(), before, 2, 17, batches);
        final Segment first = original.segment(WorkerJob.spaceOf(DatasetLayout.of(feed.manifest)), 0);
        final Set<Long> consumed = new HashSet<>();
        for (int rank = 0; rank < before; rank++)
        {
            final RankStream stream = first.stream(rank);
            for (int step = 0; step < consumedSteps; step++)
            {
                stream.forEachSample(step, (piece, record) ->
                    consumed.add(LocalFeed.key(stream.piece(piece).chunkId(), record)));
            }
        }
        final ResumeToken token = ResumeToken.parse(new ResumeToken(original.datasetId(), original.seed(), batches,
            1, 0, new EpochHistory(new int[]{ before }, new int[0][]), consumedSteps).toString());

        feed.resume(token.resume(2, after));

        assertEquals(JobOutcome.COMPLETE, feed.summary.outcome());
        feed.assertPlannedOrder(2);
        feed.assertExactlyOnceWithFileCrcs(2, consumed);
        assertTrue(feed.errors.isEmpty(), feed.errors.toString());
        final long dropped = feed.segment(0).dropped().stream().mapToLong(Piece::count).sum();
        assertEquals(feed.manifest.totalRecords() - dropped, feed.summary.epochResults().get(0).deliveredSamples(),
            "the epoch's samples, before and after the resume");
    }

    @Test
    void sameSeedGivesTheSameOrderPerRankAndOtherSeedsOrEpochsDiffer() throws Exception
    {
        final FormatSpec format = FormatSpec.parse("fixed:4096");
        final BatchSpec batches = new BatchSpec(32, 4, DropPolicy.DROP_LAST);
        final LocalFeed first = LocalFeed.generate(temp.resolve("a"), format, 8 * MIB, 1, 4 * MIB, 64 * KIB)
            .run(3, 2, 1234, batches);
        final LocalFeed second = LocalFeed.generate(temp.resolve("b"), format, 8 * MIB, 1, 4 * MIB, 64 * KIB)
            .run(3, 2, 1234, batches);
        final LocalFeed otherSeed = LocalFeed.generate(temp.resolve("c"), format, 8 * MIB, 1, 4 * MIB, 64 * KIB)
            .run(3, 2, 4321, batches);

        for (int rank = 0; rank < 3; rank++)
        {
            for (int epoch = 0; epoch < 2; epoch++)
            {
                assertArrayEquals(first.delivered(rank, epoch), second.delivered(rank, epoch),
                    "rank " + rank + " epoch " + epoch);
            }
        }
        assertFalse(Arrays.equals(first.delivered(0, 0), otherSeed.delivered(0, 0)), "another seed, same order");
        assertFalse(Arrays.equals(first.delivered(0, 0), first.delivered(0, 1)), "epoch 1 repeats epoch 0's order");
        assertFalse(isSortedWithinChunks(first.delivered(0, 0)), "samples of a chunk come in file order");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "tfrecord:2000", "webdataset:9000", "npy:<f8:100", "fixed:1000", "megatron:int32",
        "megatron:uint16:seq:300", "mds:1500" })
    void samplesAreTheGeneratorsRecords(final String format) throws Exception
    {
        final LocalFeed feed = LocalFeed.generate(temp, FormatSpec.parse(format), 2 * MIB, 3, MIB, 64 * KIB);
        final Map<String, Integer> generated = new HashMap<>();
        for (long record = 0; record < feed.dataset.recordCount(); record++)
        {
            generated.put(feed.dataset.recordShard(record) + "@" + feed.dataset.recordOffset(record),
                feed.dataset.recordLength(record));
        }

        final Map<String, Integer> delivered = new HashMap<>();
        feed.run(2, 1, 5, new BatchSpec(10, 2, DropPolicy.PARTIAL), cluster -> {},
            (rank, batch) -> collect(feed, batch, delivered));

        assertEquals(feed.dataset.recordCount(), delivered.size(), format + ": samples delivered");
        assertEquals(generated, delivered, format + ": sample boundaries");
    }

    @Test
    void garbageOnTheControlChannelIsCountedAndTheRunStillCompletes() throws Exception
    {
        final LocalFeed feed = LocalFeed.generate(temp, FormatSpec.parse("fixed:4096"), 4 * MIB, 1, 4 * MIB, 64 * KIB);
        final long[] invalidBefore = new long[1];
        feed.run(2, 2, 9, new BatchSpec(64, 4, DropPolicy.DROP_LAST), cluster ->
        {
            invalidBefore[0] = cluster.coordinator().counters().get(CounterType.INVALID_MESSAGES).get();
            try (Publication publication = cluster.connector().aeron()
                .addExclusivePublication(ControlProtocol.IPC_CHANNEL, ControlProtocol.COORDINATOR_STREAM_ID))
            {
                final UnsafeBuffer garbage = new UnsafeBuffer(new byte[64]);
                for (int i = 0; i < garbage.capacity(); i++)
                {
                    garbage.putByte(i, (byte)(i * 37 + 11));
                }
                final UnsafeBuffer shortMessage = new UnsafeBuffer(new byte[3]);
                while (publication.offer(garbage) < 0 || publication.offer(shortMessage) < 0)
                {
                    Thread.onSpinWait();
                }
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (cluster.coordinator().counters().get(CounterType.INVALID_MESSAGES).get() < invalidBefore[0] + 2)
                {
                    assertTrue(System.nanoTime() < deadline, "the coordinator did not count the garbage");
                    Thread.onSpinWait();
                }
            }
        }, (rank, batch) -> {});

        feed.assertPlannedOrder(2);
        feed.assertExactlyOnceWithFileCrcs(2);
        assertEquals(JobOutcome.COMPLETE, feed.summary.outcome());
        assertTrue(feed.errors.stream().anyMatch(line -> line.contains("refused a message")), feed.errors.toString());
    }

    @Test
    void aChunkWhoseBytesNoLongerMatchTheManifestIsRetriedThenItsSamplesReportedMissingAndTheRestDelivered()
        throws Exception
    {
        final LocalFeed feed = LocalFeed.generate(temp, FormatSpec.parse("fixed:4096"), 2 * MIB, 1, 2 * MIB, 256 * KIB);
        final int corrupted = 5;
        final Path shard = feed.dataset.dir().resolve(feed.manifest.shardPath(feed.manifest.chunkShard(corrupted)));
        try (FileChannel channel = FileChannel.open(shard, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[]{ 1, 2, 3 }), feed.manifest.chunkOffset(corrupted) + 100);
        }

        feed.run(2, 2, 3, new BatchSpec(48, 4, DropPolicy.PARTIAL));

        assertEquals(JobOutcome.INCOMPLETE, feed.summary.outcome());
        assertEquals(2L * WorkerContext.DEFAULT_MAX_READ_ATTEMPTS, feed.summary.checksumFailures());
        assertEquals(2, feed.summary.unavailable());
        for (int epoch = 0; epoch < 2; epoch++)
        {
            final int e = epoch;
            assertEquals(List.of(corrupted), feed.summary.epochResults().stream()
                .filter(result -> result.epoch() == e).findFirst().orElseThrow().missing());
        }
        feed.assertPlannedOrder(2, corrupted);
        feed.assertExactlyOnceWithFileCrcs(2, corrupted);
        assertTrue(feed.errors.stream().anyMatch(line -> line.contains("chunk " + corrupted + " (shard-00000.bin at")),
            feed.errors.toString());
    }

    private static List<Integer> stepSizes(final LocalFeed feed, final int rank)
    {
        return feed.logs[rank].steps(0).stream().map(DeliveryLog.Step::size).toList();
    }

    /**
     * @return true when every chunk's samples appear in increasing record order: what an unshuffled feed gives.
     */
    private static boolean isSortedWithinChunks(final long[] samples)
    {
        final Map<Long, Long> last = new HashMap<>();
        for (final long sample : samples)
        {
            final Long previous = last.put(sample >>> 32, sample);
            if (null != previous && previous > sample)
            {
                return false;
            }
        }
        return true;
    }

    private static void collect(final LocalFeed feed, final Batch<?> batch, final Map<String, Integer> delivered)
    {
        for (int i = 0; i < batch.size(); i++)
        {
            final int chunkId = batch.chunkId(i);
            final String shard = feed.manifest.shardPath(feed.manifest.chunkShard(chunkId));
            final long chunkOffset = feed.manifest.chunkOffset(chunkId);
            synchronized (delivered)
            {
                assertNull(delivered.put(shard + "@" + (chunkOffset + batch.offset(i)), batch.length(i)),
                    "sample " + i + " of " + batch + " delivered before");
            }
        }
    }
}
