package io.stoker.launcher;

import io.stoker.worker.Batch;

/**
 * What a local run's consumer does with each batch, on the worker's thread, before the batch is released.
 */
@FunctionalInterface
public interface BatchHandler
{
    /**
     * @param rank  the worker that delivered it.
     * @param batch valid only during the call; its chunks are {@link io.stoker.worker.HostChunk}s with the host sink.
     */
    void onBatch(int rank, Batch<?> batch);
}
