package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * A job: the dataset's chunk table (once a data server sent the manifest), the epochs still open,
 * and the client following it.
 */
final class Job
{
    final long jobId;
    final int worldSize;
    final int epochs;
    final long seed;
    final String datasetId;
    Manifest manifest;
    int[] chunkLengths;
    int[] chunkCrcs;
    final Int2ObjectHashMap<EpochProgress> openEpochs = new Int2ObjectHashMap<>();
    final List<EpochResult> results = new ArrayList<>();
    long correlationId;
    int clientMemberId = -1;
    boolean started;
    int nextEpochToPlan;
    int epochsCompleted;
    int chunksUnavailable;

    Job(final long jobId, final int worldSize, final int epochs, final long seed, final String datasetId)
    {
        this.jobId = jobId;
        this.worldSize = worldSize;
        this.epochs = epochs;
        this.seed = seed;
        this.datasetId = datasetId;
    }

    /**
     * Take the dataset's chunk table, once a data server delivered the manifest.
     */
    void bind(final Manifest manifest)
    {
        this.manifest = manifest;
        final int chunkCount = manifest.chunkCount();
        chunkLengths = new int[chunkCount];
        chunkCrcs = new int[chunkCount];
        for (int i = 0; i < chunkCount; i++)
        {
            chunkLengths[i] = manifest.chunkLength(i);
            chunkCrcs[i] = manifest.chunkCrc(i);
        }
    }

    /**
     * A completed epoch, kept to tell a client that attaches later.
     */
    record EpochResult(int epoch, int acknowledged, int[] missing)
    {
    }

    boolean isFinished()
    {
        return epochsCompleted == epochs;
    }
}
