package io.stoker.launcher;

import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.ChunkRecords;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.GeneratedDataset;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.RecordTable;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.JobSpec;
import io.stoker.plan.Piece;
import io.stoker.plan.RankStream;
import io.stoker.plan.Segment;
import io.stoker.worker.WorkerJob;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Test fixture: generate a dataset, index it, feed it through a {@link LocalCluster}, and keep what each rank's
 * consumer received, to hold it against the plan and against the dataset's files.
 */
final class LocalFeed
{
    final GeneratedDataset dataset;
    final Manifest manifest;
    final List<String> errors = new ArrayList<>();
    DeliveryLog[] logs;
    RunSummary summary;
    JobSpec spec;
    private JobSpec resumedSpec;
    private byte[][] chunkBytes;

    private LocalFeed(final GeneratedDataset dataset, final Manifest manifest)
    {
        this.dataset = dataset;
        this.manifest = manifest;
    }

    static LocalFeed generate(
        final Path root, final FormatSpec format, final long bytes, final long seed, final long shardBytes,
        final int chunkSize)
    {
        final Path directory = root.resolve("dataset");
        final GeneratedDataset dataset = DatasetGenerator.generate(directory, format, bytes, seed, shardBytes);
        final Manifest manifest = DatasetIndexer.index(directory, null, chunkSize);
        return new LocalFeed(dataset, manifest);
    }

    LocalFeed run(final int workers, final int epochs, final long seed, final BatchSpec batches)
        throws InterruptedException
    {
        return run(workers, epochs, seed, batches, cluster -> {}, (rank, batch) -> {});
    }

    /**
     * Feed a resumed job.
     */
    LocalFeed resume(final JobSpec resumed) throws InterruptedException
    {
        resumedSpec = resumed;
        return run(resumed.worldSize(), resumed.epochs(), resumed.seed(), resumed.batchSpec());
    }

    /**
     * Feed the dataset; {@code duringRun} gets the running cluster once it started, {@code check} sees every batch
     * on the consumer side.
     */
    LocalFeed run(
        final int workers,
        final int epochs,
        final long seed,
        final BatchSpec batches,
        final Consumer<LocalCluster> duringRun,
        final BatchHandler check)
        throws InterruptedException
    {
        logs = new DeliveryLog[workers];
        for (int rank = 0; rank < workers; rank++)
        {
            logs[rank] = new DeliveryLog(true);
        }
        final LocalCluster.Settings settings = new LocalCluster.Settings(dataset.dir(), manifest)
            .workers(workers)
            .epochs(epochs)
            .seed(seed)
            .batchSpec(batches)
            .resumed(resumedSpec)
            .logger(line ->
            {
                synchronized (errors)
                {
                    errors.add(line);
                }
            });
        spec = settings.spec();
        final BatchHandler[] handlers = new BatchHandler[workers];
        for (int rank = 0; rank < workers; rank++)
        {
            final DeliveryLog log = logs[rank];
            handlers[rank] = (r, batch) ->
            {
                check.onBatch(r, batch);
                log.onBatch(r, batch);
            };
        }
        try (LocalCluster cluster = new LocalCluster(settings, rank -> handlers[rank]))
        {
            duringRun.accept(cluster);
            final boolean completed = cluster.awaitCompletion(TimeUnit.SECONDS.toNanos(60), () -> {});
            summary = RunSummary.of(cluster, completed);
            assertTrue(completed, "run did not complete: " + summary.text() + errors);
        }
        return this;
    }

    Segment segment(final int epoch)
    {
        return spec.segment(WorkerJob.spaceOf(DatasetLayout.of(manifest)), epoch);
    }

    /**
     * @return the samples a rank received in an epoch, in order, as {@link #key(int, int)}s.
     */
    long[] delivered(final int rank, final int epoch)
    {
        return logs[rank].steps(epoch).stream()
            .flatMapToLong(step -> keys(step.samples()).stream().mapToLong(Long::longValue)).toArray();
    }

    /**
     * Assert every rank received the steps of its own stream of the epoch's plan, in order, each with the samples
     * the plan puts in it, so that every rank took the same number of steps. Samples of {@code unreadable} chunks
     * are left out of their steps and counted as missing there.
     */
    void assertPlannedOrder(final int epochs, final int... unreadable)
    {
        for (int epoch = spec.firstEpoch(); epoch < epochs; epoch++)
        {
            final Segment segment = segment(epoch);
            for (int rank = 0; rank < logs.length; rank++)
            {
                final RankStream stream = segment.stream(rank);
                final List<DeliveryLog.Step> steps = logs[rank].steps(epoch);
                final int start = spec.startStep(epoch, rank);
                assertEquals(stream.steps() - start, steps.size(), "steps of rank " + rank + " in epoch " + epoch);
                if (!spec.batchSpec().isChunks())
                {
                    assertEquals(segment.steps() - start, steps.size(), "steps of rank " + rank + " in epoch " + epoch);
                }
                for (int step = start; step < stream.steps(); step++)
                {
                    final DeliveryLog.Step delivered = steps.get(step - start);
                    final String where = "rank " + rank + ", epoch " + epoch + ", step " + step;
                    assertEquals(rank, delivered.stream(), where);
                    assertEquals(step, delivered.step(), where);
                    final int[] planned = plannedSamples(stream, step);
                    final int[] readable = withoutChunks(planned, unreadable);
                    assertArrayEquals(readable, delivered.samples(), where);
                    assertEquals((planned.length - readable.length) / 2, delivered.missing(), "missing at " + where);
                }
            }
        }
    }

    /**
     * Assert every epoch delivered every sample of the dataset exactly once over all ranks, except the ones its
     * plan drops and the ones in {@code unreadable} chunks, each step with the CRC32C of its samples' bytes as the
     * test reads them from the shard files.
     */
    void assertExactlyOnceWithFileCrcs(final int epochs, final int... unreadable) throws IOException
    {
        assertExactlyOnceWithFileCrcs(epochs, Set.of(), unreadable);
    }

    /**
     * As {@link #assertExactlyOnceWithFileCrcs(int, int...)}, for a run that resumed after {@code consumed}
     * samples of its first epoch: those are not delivered again, and every other one is.
     */
    void assertExactlyOnceWithFileCrcs(final int epochs, final Set<Long> consumed, final int... unreadable)
        throws IOException
    {
        final Set<Integer> skipped = new HashSet<>();
        for (final int chunkId : unreadable)
        {
            skipped.add(chunkId);
        }
        for (int epoch = spec.firstEpoch(); epoch < epochs; epoch++)
        {
            final Set<Long> expected = new HashSet<>();
            for (int chunkId = 0; chunkId < manifest.chunkCount(); chunkId++)
            {
                for (int record = 0; record < manifest.chunkRecordCount(chunkId) && !skipped.contains(chunkId);
                    record++)
                {
                    expected.add(key(chunkId, record));
                }
            }
            for (final Piece piece : segment(epoch).dropped())
            {
                for (int i = 0; i < piece.count(); i++)
                {
                    expected.remove(key(piece.chunkId(), piece.record(i)));
                }
            }
            if (epoch == spec.firstEpoch())
            {
                assertTrue(expected.containsAll(consumed), "a consumed sample planned out of the epoch");
                expected.removeAll(consumed);
            }

            final Set<Long> seen = new HashSet<>();
            for (int rank = 0; rank < logs.length; rank++)
            {
                for (final DeliveryLog.Step step : logs[rank].steps(epoch))
                {
                    final String where = "rank " + rank + ", epoch " + epoch + ", step " + step.step();
                    for (final long sample : keys(step.samples()))
                    {
                        assertTrue(seen.add(sample), "sample " + describe(sample) + " again at " + where);
                    }
                    assertEquals(fileCrc(step.samples()), step.crc(), "CRC32C of the samples of " + where);
                }
            }
            assertEquals(expected, seen, "samples of epoch " + epoch);
        }
    }

    /**
     * @return bytes the workers read when each rank reads the chunk of each piece of its stream once: a chunk
     * whose samples several ranks share is read by each of them, whole, to check it against its CRC32C.
     */
    long bytesOfPieces(final int epochs)
    {
        long bytes = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final Segment segment = segment(epoch);
            for (int rank = 0; rank < segment.worldSize(); rank++)
            {
                final RankStream stream = segment.stream(rank);
                for (int piece = 0; piece < stream.pieceCount(); piece++)
                {
                    bytes += manifest.chunkLength(stream.piece(piece).chunkId());
                }
            }
        }
        return bytes;
    }

    static long key(final int chunkId, final int record)
    {
        return ((long)chunkId << 32) | record;
    }

    static String describe(final long key)
    {
        return "chunk " + (key >>> 32) + " record " + (int)key;
    }

    private static int[] plannedSamples(final RankStream stream, final int step)
    {
        final List<Integer> samples = new ArrayList<>();
        stream.forEachSample(step, (pieceIndex, record) ->
        {
            samples.add(stream.piece(pieceIndex).chunkId());
            samples.add(record);
        });
        return samples.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] withoutChunks(final int[] samples, final int[] chunkIds)
    {
        final List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < samples.length; i += 2)
        {
            final int chunkId = samples[i];
            if (Arrays.stream(chunkIds).noneMatch(id -> id == chunkId))
            {
                kept.add(samples[i]);
                kept.add(samples[i + 1]);
            }
        }
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    private static List<Long> keys(final int[] samples)
    {
        final List<Long> keys = new ArrayList<>(samples.length / 2);
        for (int i = 0; i < samples.length; i += 2)
        {
            keys.add(key(samples[i], samples[i + 1]));
        }
        return keys;
    }

    /**
     * CRC32C of the samples' bytes one after the other, read from the shard files.
     */
    private int fileCrc(final int[] samples) throws IOException
    {
        if (null == chunkBytes)
        {
            chunkBytes = new byte[manifest.chunkCount()][];
        }
        final RecordTable table = new RecordTable();
        final ChunkRecords chunkRecords = new ChunkRecords();
        final ChunkDescriptors descriptors = ChunkDescriptors.of(manifest);
        final CRC32C crc = new CRC32C();
        for (int i = 0; i < samples.length; i += 2)
        {
            final int chunkId = samples[i];
            if (null == chunkBytes[chunkId])
            {
                chunkBytes[chunkId] = readChunk(chunkId);
            }
            chunkRecords.fill(descriptors, chunkId, ByteBuffer.wrap(chunkBytes[chunkId]), table);
            crc.update(chunkBytes[chunkId], table.offset(samples[i + 1]), table.length(samples[i + 1]));
        }
        return (int)crc.getValue();
    }

    private byte[] readChunk(final int chunkId) throws IOException
    {
        final Path shard = dataset.dir().resolve(manifest.shardPath(manifest.chunkShard(chunkId)));
        final byte[] file = Files.readAllBytes(shard);
        final byte[] chunk = new byte[manifest.chunkLength(chunkId)];
        System.arraycopy(file, (int)manifest.chunkOffset(chunkId), chunk, 0, chunk.length);
        return chunk;
    }
}
