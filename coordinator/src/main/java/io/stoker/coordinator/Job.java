package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * A running job: the dataset's chunk table, the epochs still open, and the client following it.
 */
final class Job
{
    final long jobId;
    final int worldSize;
    final int epochs;
    final long seed;
    final String manifestPath;
    final Manifest manifest;
    final int[] chunkLengths;
    final int[] chunkCrcs;
    final Int2ObjectHashMap<EpochProgress> openEpochs = new Int2ObjectHashMap<>();
    long correlationId;
    int clientMemberId = -1;
    boolean started;
    int nextEpochToPlan;
    int epochsCompleted;
    int chunksUnavailable;

    Job(
        final long jobId,
        final int worldSize,
        final int epochs,
        final long seed,
        final String manifestPath,
        final Manifest manifest)
    {
        this.jobId = jobId;
        this.worldSize = worldSize;
        this.epochs = epochs;
        this.seed = seed;
        this.manifestPath = manifestPath;
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

    boolean isFinished()
    {
        return epochsCompleted == epochs;
    }
}
