package io.stoker.launcher;

import io.aeron.Publication;
import io.stoker.codecs.JobOutcome;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.RecordTable;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.Chunk;
import io.stoker.worker.WorkerContext;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalClusterTest
{
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0} workers, {1} epochs, {2} KiB chunks, {3}")
    @CsvSource({
        "1, 1, 64, fixed:4096",
        "2, 2, 256, fixed:4096",
        "3, 2, 128, tfrecord:3000",
        "4, 3, 512, npy:<u2:1000",
        "2, 2, 256, webdataset:20000",
    })
    void deliversEveryChunkExactlyOncePerEpochWithMatchingCrcs(
        final int workers, final int epochs, final int chunkKib, final String format) throws Exception
    {
        final LocalFeed feed = LocalFeed.generate(temp, FormatSpec.parse(format), 8 * MIB, 7, 3 * MIB, chunkKib * KIB)
            .run(workers, epochs, 42);

        feed.assertExactlyOnceWithFileCrcs(epochs);
        assertEquals(JobOutcome.COMPLETE, feed.summary.outcome());
        assertEquals(feed.manifest.totalBytes() * epochs, feed.summary.bytes());
        assertEquals(0, feed.summary.checksumFailures());
        assertEquals(0, feed.summary.unavailable());
        assertTrue(feed.errors.isEmpty(), feed.errors.toString());
    }

    @Test
    void sameSeedGivesTheSameOrderPerRankAndOtherSeedsOrEpochsDiffer() throws Exception
    {
        final FormatSpec format = FormatSpec.parse("fixed:4096");
        final LocalFeed first = LocalFeed.generate(temp.resolve("a"), format, 8 * MIB, 1, 4 * MIB, 64 * KIB)
            .run(3, 2, 1234);
        final LocalFeed second = LocalFeed.generate(temp.resolve("b"), format, 8 * MIB, 1, 4 * MIB, 64 * KIB)
            .run(3, 2, 1234);
        final LocalFeed otherSeed = LocalFeed.generate(temp.resolve("c"), format, 8 * MIB, 1, 4 * MIB, 64 * KIB)
            .run(3, 2, 4321);

        for (int rank = 0; rank < 3; rank++)
        {
            for (int epoch = 0; epoch < 2; epoch++)
            {
                assertArrayEquals(first.delivered(rank, epoch), second.delivered(rank, epoch),
                    "rank " + rank + " epoch " + epoch);
            }
        }
        assertFalse(Arrays.equals(first.delivered(0, 0), otherSeed.delivered(0, 0)), "another seed, same order");
        assertFalse(Arrays.equals(concat(first, 0), concat(first, 1)), "epoch 1 repeats epoch 0's order");
    }

    @Test
    void recordTablesMatchTheGeneratorsRecords() throws Exception
    {
        for (final String format : new String[]{ "tfrecord:2000", "webdataset:9000", "npy:<f8:100", "fixed:1000" })
        {
            final Path root = temp.resolve(format.replace(':', '_').replace('<', '_'));
            final LocalFeed feed = LocalFeed.generate(root, FormatSpec.parse(format), 2 * MIB, 3, MIB, 64 * KIB);
            final Map<String, Integer> generated = new HashMap<>();
            for (long record = 0; record < feed.dataset.recordCount(); record++)
            {
                generated.put(feed.dataset.recordShard(record) + "@" + feed.dataset.recordOffset(record),
                    feed.dataset.recordLength(record));
            }

            final Map<String, Integer> delivered = new HashMap<>();
            feed.run(2, 1, 5, cluster -> {}, (rank, chunk) -> collect(feed, chunk, delivered));

            assertEquals(feed.dataset.recordCount(), delivered.size(), format + ": records delivered");
            assertEquals(generated, delivered, format + ": record boundaries");
        }
    }

    @Test
    void garbageOnTheControlChannelIsCountedAndTheRunStillCompletes() throws Exception
    {
        final LocalFeed feed = LocalFeed.generate(temp, FormatSpec.parse("fixed:4096"), 4 * MIB, 1, 4 * MIB, 64 * KIB);
        final long[] invalidBefore = new long[1];
        feed.run(2, 2, 9, cluster ->
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
        });

        feed.assertExactlyOnceWithFileCrcs(2);
        assertEquals(JobOutcome.COMPLETE, feed.summary.outcome());
        assertTrue(feed.errors.stream().anyMatch(line -> line.contains("refused a message")), feed.errors.toString());
    }

    @Test
    void aChunkWhoseBytesNoLongerMatchTheManifestIsRetriedThenReportedMissingByIdAndTheRestDelivered()
        throws Exception
    {
        final LocalFeed feed = LocalFeed.generate(temp, FormatSpec.parse("fixed:4096"), 2 * MIB, 1, 2 * MIB, 256 * KIB);
        final int corrupted = 5;
        final Path shard = feed.dataset.dir().resolve(feed.manifest.shardPath(feed.manifest.chunkShard(corrupted)));
        try (FileChannel channel = FileChannel.open(shard, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[]{ 1, 2, 3 }), feed.manifest.chunkOffset(corrupted) + 100);
        }

        feed.run(2, 2, 3);

        assertEquals(JobOutcome.INCOMPLETE, feed.summary.outcome());
        assertEquals(2L * WorkerContext.DEFAULT_MAX_READ_ATTEMPTS, feed.summary.checksumFailures());
        assertEquals(2, feed.summary.unavailable());
        for (int epoch = 0; epoch < 2; epoch++)
        {
            final int e = epoch;
            assertEquals(List.of(corrupted), feed.summary.epochResults().stream()
                .filter(result -> result.epoch() == e).findFirst().orElseThrow().missing());
            final int[] delivered = IntStream.concat(
                Arrays.stream(feed.delivered(0, epoch)), Arrays.stream(feed.delivered(1, epoch))).sorted().toArray();
            assertArrayEquals(
                IntStream.range(0, feed.manifest.chunkCount()).filter(id -> id != corrupted).toArray(), delivered);
        }
        assertTrue(feed.errors.stream().anyMatch(line -> line.contains("chunk " + corrupted + " (shard-00000.bin at")),
            feed.errors.toString());
    }

    private static void collect(final LocalFeed feed, final Chunk chunk, final Map<String, Integer> delivered)
    {
        final RecordTable records = chunk.records();
        final String shard = feed.manifest.shardPath(feed.manifest.chunkShard(chunk.chunkId()));
        final long chunkOffset = feed.manifest.chunkOffset(chunk.chunkId());
        assertEquals(feed.manifest.chunkRecordCount(chunk.chunkId()), records.count());
        for (int i = 0; i < records.count(); i++)
        {
            synchronized (delivered)
            {
                delivered.put(shard + "@" + (chunkOffset + records.offset(i)), records.length(i));
            }
        }
    }

    private static int[] concat(final LocalFeed feed, final int epoch)
    {
        return Arrays.stream(feed.logs).flatMapToInt(log -> Arrays.stream(log.chunks(epoch))).toArray();
    }
}
