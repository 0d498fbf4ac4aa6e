package io.stoker.worker;

import io.stoker.dataset.RecordTable;

/**
 * Where a worker puts chunks it has read and verified: the host sink hands its buffers on as they are, a GPU
 * sink copies them to device memory first. It delivers chunks in the order they were offered, to a
 * {@link Handoff} (the batch stage), and takes each back when the chunk is released. Called from the worker's
 * agent thread only.
 */
public interface ChunkSink extends AutoCloseable
{
    /**
     * Take a filled, verified buffer of the pool.
     *
     * @param buffer  index of the buffer in the worker's pool.
     * @param records where the chunk's records start; the sink copies what it keeps, as the table is filled anew
     *                for the buffer's next chunk.
     * @return false when the sink cannot take it now (back pressure); offer again later.
     */
    boolean offer(int buffer, int epoch, int chunkId, int length, int crc, RecordTable records);

    /**
     * Make progress: give back pool buffers the sink is done with.
     *
     * @return work done.
     */
    int doWork(SinkListener listener);

    /**
     * No more chunks will come: the next stage is told once the sink delivered what it holds.
     */
    void finish();

    /**
     * @return a short description for the run summary, e.g. "host" or "gpu 0".
     */
    String description();

    @Override
    void close();

    /**
     * Told what a sink gives back.
     */
    interface SinkListener
    {
        /**
         * The sink no longer needs this pool buffer.
         */
        void onBufferFree(int buffer);
    }
}
