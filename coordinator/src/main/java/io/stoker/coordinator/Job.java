package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import io.stoker.plan.JobSpec;
import io.stoker.plan.SampleSpace;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * A job: what was submitted, the dataset's samples (once a data server sent the manifest), the epochs still
 * open, and the client following it.
 */
final class Job
{
    final long jobId;
    JobSpec spec;
    Manifest manifest;
    SampleSpace space;
    final Int2ObjectHashMap<EpochProgress> openEpochs = new Int2ObjectHashMap<>();
    final List<EpochResult> results = new ArrayList<>();
    long correlationId;
    int clientMemberId = -1;
    boolean started;
    /**
     * Restored by a restarted coordinator: its workers acknowledge what they delivered meanwhile as soon as they
     * register again, before every rank is back and the job starts again, and those acknowledgements count (a
     * worker sends them once per registration; refused, they would be lost and the epoch would never complete).
     */
    boolean resumed;
    int nextEpochToPlan;
    int epochsCompleted;
    int chunksUnavailable;
    /**
     * Sequence of the first checkpoint that holds this job, -1 until one is asked for: the job starts only once
     * it is written, so that a restart knows every job whose steps were handed out.
     */
    long firstCheckpoint = -1;

    Job(final long jobId, final JobSpec spec)
    {
        this.jobId = jobId;
        this.spec = spec;
        this.nextEpochToPlan = spec.firstEpoch();
        this.epochsCompleted = spec.firstEpoch();
    }

    /**
     * Take the dataset's chunk table, once a data server delivered the manifest.
     */
    void bind(final Manifest manifest)
    {
        this.manifest = manifest;
        final int[] records = new int[manifest.chunkCount()];
        for (int i = 0; i < records.length; i++)
        {
            records[i] = manifest.chunkRecordCount(i);
        }
        space = new SampleSpace(records);
    }

    String datasetId()
    {
        return spec.datasetId();
    }

    int worldSize()
    {
        return spec.worldSize();
    }

    /**
     * A completed epoch, kept to tell a client that attaches later.
     */
    record EpochResult(int epoch, long deliveredSamples, long droppedSamples, int steps, int[] missing)
    {
    }

    boolean isFinished()
    {
        return epochsCompleted == spec.epochs();
    }
}
