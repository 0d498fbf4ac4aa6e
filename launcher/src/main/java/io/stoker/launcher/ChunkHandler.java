package io.stoker.launcher;

import io.stoker.worker.HostChunk;

/**
 * What a local run's consumer does with each chunk, on the worker's thread, before the chunk is released.
 */
@FunctionalInterface
public interface ChunkHandler
{
    /**
     * @param rank  the worker that delivered it.
     * @param chunk valid only during the call.
     */
    void onChunk(int rank, HostChunk chunk);
}
