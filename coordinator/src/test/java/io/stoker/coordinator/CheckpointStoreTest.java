package io.stoker.coordinator;

import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CheckpointStoreTest
{
    @TempDir
    Path temp;

    /**
     * A restarted coordinator must know who holds a chunk handed to another rank: only that rank may
     * acknowledge it.
     */
    @Test
    void keepsTheAcknowledgedSetAndWhoHoldsEachChunkHandedToAnotherRank()
    {
        DatasetGenerator.generate(temp.resolve("dataset"), FormatSpec.parse("fixed:4096"), 1 << 20, 3, 1 << 18);
        final Manifest manifest = DatasetIndexer.index(temp.resolve("dataset"), null, 64 * 1024);
        final Job job = new Job(7, 3, 2, 11, manifest.datasetId());
        job.bind(manifest);
        final EpochProgress progress = new EpochProgress(EpochPlanner.plan(job.chunkLengths, 3, 11, 0));
        final int deadRankChunk = progress.outstanding(2)[0];
        progress.reassign(deadRankChunk, 0);
        progress.acknowledge(progress.outstanding(1)[0]);
        job.openEpochs.put(0, progress);
        job.nextEpochToPlan = 1;

        final CheckpointStore store = new CheckpointStore(temp.resolve("checkpoints"));
        store.write(job);
        final CheckpointStore.Checkpoint checkpoint = new CheckpointStore(temp.resolve("checkpoints")).read();

        assertEquals(7, checkpoint.jobId());
        final Map<Integer, CheckpointStore.OpenEpoch> open = checkpoint.openEpochs();
        assertEquals(1, open.size());
        final CheckpointStore.OpenEpoch saved = open.get(0);
        assertEquals(progress.acknowledgedSet(), saved.acknowledged());
        assertArrayEquals(new int[]{ deadRankChunk }, saved.movedChunks());
        assertArrayEquals(new int[]{ 0 }, saved.holders());

        final EpochProgress restored = new EpochProgress(EpochPlanner.plan(job.chunkLengths, 3, 11, 0));
        restored.restore(saved.acknowledged(), saved.unavailable(), saved.movedChunks(), saved.holders());
        assertEquals(0, restored.holder(deadRankChunk));
        assertEquals(1, restored.acknowledgedCount());
    }
}
