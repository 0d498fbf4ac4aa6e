package io.stoker.launcher;

import io.stoker.worker.Chunk;

/**
 * What a local run's consumer does with each chunk, on the worker's thread, before the chunk is released.
 */
@FunctionalInterface
public interface ChunkHandler
{
    /**
     * @param rank  the worker that delivered it.
     * @param chunk valid only during the call: a {@link io.stoker.worker.HostChunk} with the host sink.
     */
    void onChunk(int rank, Chunk chunk);
}
