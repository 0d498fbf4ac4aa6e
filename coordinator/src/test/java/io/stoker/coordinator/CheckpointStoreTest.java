package io.stoker.coordinator;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The v5 checkpoint: the journal position it covers, a job's spec (batches and resume history included),
 * each open epoch's released steps, steps handed to other ranks and missing chunks, and the completed epochs'
 * results come back as they were written; a damaged file is refused with its name and the offset, never read
 * as another state.
 */
class CheckpointStoreTest
{
    private static final int WEIGHT = 5;
    private static final BatchSpec BATCHES = new BatchSpec(8, 2, DropPolicy.DROP_LAST);

    @TempDir
    Path temp;

    private Manifest manifest;

    @BeforeEach
    void dataset()
    {
        DatasetGenerator.generate(temp.resolve("dataset"), FormatSpec.parse("fixed:1000"), 1 << 20, 3, 256 << 10);
        manifest = DatasetIndexer.index(temp.resolve("dataset"), null, 64 << 10);
    }

    @Test
    void readsNothingWhenNoCheckpointWasWritten()
    {
        assertNull(new CheckpointStore(temp.resolve("checkpoints")).read());
    }

    /**
     * A restarted coordinator must plan every open epoch as before and know which steps were released, which
     * rank holds each step handed to another, and which chunks could not be read.
     */
    @Test
    void restoresTheSpecAndEveryOpenEpochsReleasedStepsMovesAndMissingChunks()
    {
        final JobSpec spec = new JobSpec(manifest.datasetId(), 3, 4, 11, BATCHES, 1, Map.of(
            1, new EpochHistory(new int[]{ 2, 3 }, new int[][]{ { 4, 1 } }),
            2, new EpochHistory(new int[]{ 3 }, new int[][]{ { 2, 3, 2 } })));
        final Job planned = new Job(7, spec, 1);
        planned.bind(manifest);
        final EpochProgress resumed = new EpochProgress(spec, planned.space(), 1);
        resumed.release(0, 0);
        resumed.release(0, 1);
        resumed.release(2, 5);
        resumed.reassign(1, 3, 0);
        resumed.reassign(1, 4, 2);
        resumed.markMissing(3);
        final EpochProgress continued = new EpochProgress(spec, planned.space(), 2);
        continued.release(1, 3);
        continued.reassign(2, 7, 1);
        continued.markMissing(0);
        continued.markMissing(manifest.chunkCount() - 1);
        final Job job = job(7, spec, 3, 1, 2, List.of(new Job.EpochResult(0, 1000, 24, 17, new int[]{ 2, 5 },
            new int[][]{ { 1, 3, 0 } })),
            resumed, continued);

        new CheckpointStore(temp.resolve("checkpoints")).write(
            CheckpointStore.encode(new TreeMap<>(Map.of("", job)), 4040), List.of(job.manifest()));
        final CheckpointStore store = new CheckpointStore(temp.resolve("checkpoints"));
        final CheckpointStore.Checkpoint all = store.read();
        assertEquals(4040, all.journalPosition(), "where the journal's records after it start");
        assertEquals(1, all.jobs().size());
        final CheckpointStore.JobCheckpoint checkpoint = all.jobs().get(0);
        assertEquals("", checkpoint.jobName());

        assertEquals(7, checkpoint.jobId());
        assertEquals(WEIGHT, checkpoint.weight(), "the weight it was submitted with");
        assertEquals(1, checkpoint.results().size(), "a completed epoch's result, for a client attaching late");
        final Job.EpochResult result = checkpoint.results().get(0);
        assertEquals(List.of(0, 1000L, 24L, 17), List.of(result.epoch(), result.deliveredSamples(),
            result.droppedSamples(), result.steps()));
        assertArrayEquals(new int[]{ 2, 5 }, result.missing());
        assertEquals(List.of(0, 1, 2), List.of(result.holder(1, 3), result.holder(1, 4), result.holder(2, 3)),
            "who held each step of the completed epoch: a moved one its new holder, any other its stream's rank");
        assertEquals(spec, checkpoint.spec());
        assertEquals(3, checkpoint.nextEpochToPlan());
        assertEquals(1, checkpoint.epochsCompleted());
        assertEquals(2, checkpoint.chunksUnavailable());
        assertEquals(manifest, store.manifest(manifest.datasetId()));
        assertEquals(2, checkpoint.openEpochs().size());
        for (final EpochProgress written : new EpochProgress[]{ resumed, continued })
        {
            final CheckpointStore.OpenEpoch saved = checkpoint.openEpochs().get(written.epoch());
            final EpochProgress restored = new EpochProgress(checkpoint.spec(), job.space(), written.epoch());
            restored.restore(saved.released(), saved.moves(), saved.missing());
            assertSameProgress(written, restored);
        }
        assertEquals(1, resumed.segment().index(), "the resumed epoch is planned over its second segment");
        assertTrue(continued.isReleased(0, 1), "steps consumed before the resume count as released");
        assertFalse(continued.isReleased(0, 2));
    }

    /**
     * A coordinator running several jobs checkpoints them all at one journal position, each by its name, and a
     * restarted one gets each back under its name, with its own id, spec and progress.
     */
    @Test
    void keepsEveryJobByItsName()
    {
        final JobSpec specA = new JobSpec(manifest.datasetId(), 2, 3, 5, BATCHES, 0, Map.of());
        final JobSpec specB = new JobSpec(manifest.datasetId(), 3, 1, 9, BATCHES, 0, Map.of());
        final Job a = job(4, specA, 1, 0, 0, List.of());
        final Job b = job(5, specB, 1, 0, 1, List.of());
        final CheckpointStore store = new CheckpointStore(temp.resolve("checkpoints"));
        store.write(CheckpointStore.encode(new TreeMap<>(Map.of("team-a", a, "team-b", b)), 77),
            List.of(a.manifest(), b.manifest()));

        final CheckpointStore.Checkpoint read = new CheckpointStore(temp.resolve("checkpoints")).read();
        assertEquals(77, read.journalPosition());
        assertEquals(List.of("team-a", "team-b"), read.jobs().stream().map(CheckpointStore.JobCheckpoint::jobName)
            .toList());
        assertEquals(List.of(4L, 5L), read.jobs().stream().map(CheckpointStore.JobCheckpoint::jobId).toList());
        assertEquals(List.of(specA, specB), read.jobs().stream().map(CheckpointStore.JobCheckpoint::spec).toList());
        assertEquals(1, read.jobs().get(1).chunksUnavailable());
        assertEquals(manifest, store.manifest(manifest.datasetId()));
    }

    @Test
    void refusesAFileCutShortAtAnyLengthNamingIt() throws IOException
    {
        final byte[] whole = writtenCheckpoint();
        final CheckpointStore store = new CheckpointStore(temp.resolve("checkpoints"));
        for (int length = 0; length < whole.length; length++)
        {
            Files.write(store.file(), Arrays.copyOf(whole, length));
            assertRefused(store, length + " bytes of " + whole.length);
        }
    }

    @Test
    void refusesAFileWithAnyByteChangedNamingIt() throws IOException
    {
        final byte[] whole = writtenCheckpoint();
        final CheckpointStore store = new CheckpointStore(temp.resolve("checkpoints"));
        for (int i = 0; i < whole.length; i++)
        {
            final byte[] corrupt = whole.clone();
            corrupt[i] ^= 0x10;
            Files.write(store.file(), corrupt);
            final String message = assertRefused(store, "byte " + i + " changed");
            assertTrue(message.contains("CRC32C stored at offset " + (whole.length - Integer.BYTES)), message);
        }
    }

    /**
     * A file whose checksum holds but whose contents end early or describe no job (written by a bug, or
     * assembled by hand) is refused as well: the checksum is not the only check.
     */
    @Test
    void refusesAWellSealedFileThatEndsEarlyOrIsOfAnotherVersion() throws IOException
    {
        final byte[] whole = writtenCheckpoint();
        final byte[] body = Arrays.copyOf(whole, whole.length - Integer.BYTES);
        final CheckpointStore store = new CheckpointStore(temp.resolve("checkpoints"));
        for (int length = 8; length < body.length; length++)
        {
            Files.write(store.file(), sealed(Arrays.copyOf(body, length)));
            assertRefused(store, "a body of " + length + " bytes of " + body.length);
        }

        final byte[] older = body.clone();
        ByteBuffer.wrap(older).putInt(Integer.BYTES, 4);
        Files.write(store.file(), sealed(older));
        final String message = assertRefused(store, "version 4");
        assertTrue(message.contains("version 7"), message);
    }

    private byte[] writtenCheckpoint() throws IOException
    {
        final JobSpec spec = new JobSpec(manifest.datasetId(), 2, 3, 5, BATCHES, 0, Map.of(
            0, new EpochHistory(new int[]{ 3, 2 }, new int[][]{ { 1, 2, 0 } })));
        final Job planned = new Job(3, spec, 1);
        planned.bind(manifest);
        final EpochProgress progress = new EpochProgress(spec, planned.space(), 0);
        progress.release(1, 0);
        progress.reassign(0, 2, 1);
        progress.markMissing(1);
        final Job job = job(3, spec, 1, 0, 0, List.of(), progress);
        final CheckpointStore store = new CheckpointStore(temp.resolve("checkpoints"));
        store.write(CheckpointStore.encode(new TreeMap<>(Map.of("", job)), 0), List.of(job.manifest()));
        final byte[] whole = Files.readAllBytes(store.file());
        assertEquals(spec, store.read().jobs().get(0).spec(), "the intact file reads back");
        return whole;
    }

    /**
     * A job with these open epochs and counts, made the one way a job gets them other than by running: restored.
     */
    private Job job(
        final long jobId,
        final JobSpec spec,
        final int nextEpochToPlan,
        final int epochsCompleted,
        final int chunksUnavailable,
        final List<Job.EpochResult> results,
        final EpochProgress... open)
    {
        final Map<Integer, CheckpointStore.OpenEpoch> openEpochs = new TreeMap<>();
        for (final EpochProgress progress : open)
        {
            final BitSet missing = new BitSet();
            Arrays.stream(progress.missingChunks()).forEach(missing::set);
            openEpochs.put(progress.epoch(),
                new CheckpointStore.OpenEpoch(progress.releasedSets(), progress.moves(), missing));
        }
        return Job.restored(new CheckpointStore.JobCheckpoint("", jobId, spec, WEIGHT, nextEpochToPlan, epochsCompleted,
            chunksUnavailable, openEpochs, new ArrayList<>(results)), manifest);
    }

    private static byte[] sealed(final byte[] body)
    {
        return ByteBuffer.allocate(body.length + Integer.BYTES).put(body).putInt(Crc32c.of(body)).array();
    }

    private static String assertRefused(final CheckpointStore store, final String what)
    {
        final UncheckedIOException ex = assertThrows(UncheckedIOException.class, store::read, what);
        assertTrue(ex.getMessage().startsWith(store.file().toString() + ": cannot read the checkpoint at offset "),
            what + ": " + ex.getMessage());
        return ex.getMessage();
    }

    private static void assertSameProgress(final EpochProgress expected, final EpochProgress actual)
    {
        final String what = "epoch " + expected.epoch();
        assertEquals(expected.segment().index(), actual.segment().index(), what);
        assertEquals(expected.worldSize(), actual.worldSize(), what);
        for (int stream = 0; stream < expected.worldSize(); stream++)
        {
            assertEquals(expected.steps(stream), actual.steps(stream), what);
            for (int step = 0; step < expected.steps(stream); step++)
            {
                final String where = what + " stream " + stream + " step " + step;
                assertEquals(expected.isReleased(stream, step), actual.isReleased(stream, step), where);
                assertEquals(expected.holder(stream, step), actual.holder(stream, step), where);
            }
            for (int rank = 0; rank < expected.worldSize(); rank++)
            {
                assertArrayEquals(expected.outstanding(stream, rank), actual.outstanding(stream, rank), what);
            }
        }
        assertNotEquals(0, expected.missingChunks().length, what + ": the test records missing chunks");
        assertArrayEquals(expected.missingChunks(), actual.missingChunks(), what);
        assertEquals(expected.deliveredSamples(), actual.deliveredSamples(), what);
        assertEquals(expected.isComplete(), actual.isComplete(), what);
    }
}
