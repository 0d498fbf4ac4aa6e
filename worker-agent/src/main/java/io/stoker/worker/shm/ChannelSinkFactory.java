package io.stoker.worker.shm;

import io.stoker.worker.BufferPool;
import io.stoker.worker.Chunk;
import io.stoker.worker.SinkFactory;
import io.stoker.worker.gpu.IpcSlots;

import java.nio.file.Path;

/**
 * A worker's sink whose chunks a {@link ShmFeedAgent} hands to a consumer in another process: says where the
 * channel goes and where each chunk's bytes are for that process, in the pool file ({@link ShmSinkFactory}) or in
 * an exported CUDA device slot ({@link ShmGpuSinkFactory}).
 *
 * @param <C> the chunks the sink delivers.
 */
public interface ChannelSinkFactory<C extends Chunk> extends SinkFactory<C>
{
    /**
     * @return the directory of the channel (and of the pool file, when there is one).
     */
    Path directory();

    /**
     * @return the worker's pool once its job started, else null. Safe from any thread.
     */
    BufferPool pool();

    /**
     * @return the exported device slots once the job started, or null when the samples are in the pool file.
     */
    IpcSlots ipcSlots();

    /**
     * @return true once the channel can be described: the job started and its memory exists. Safe from any thread.
     */
    default boolean isReady()
    {
        return null != pool();
    }

    /**
     * @param chunk a chunk the sink delivered.
     * @return where its first byte is: its offset in the pool file, or within its slot.
     */
    long offsetOf(C chunk);

    /**
     * @param chunk a chunk the sink delivered.
     * @return its device slot, 0 with the pool file.
     */
    int slotOf(C chunk);
}
