package io.stoker.worker;

import io.stoker.dataset.RecordTable;

/**
 * A chunk a worker delivered: whole records of one shard, checksummed. A consumer reads it and then
 * calls {@link #release()}; until then its memory is the consumer's, and the feed stalls rather than
 * reuse it. Accessors are valid only until release.
 */
public interface Chunk
{
    /**
     * @return the epoch this delivery belongs to.
     */
    int epoch();

    /**
     * @return the chunk's id in the dataset's manifest.
     */
    int chunkId();

    /**
     * @return the chunk's length in bytes.
     */
    int length();

    /**
     * @return the CRC32C of the bytes, which matched the manifest's.
     */
    int crc();

    /**
     * @return where each record starts in the chunk and how long it is.
     */
    RecordTable records();

    /**
     * Hand the chunk's memory back: the worker acknowledges the chunk to the coordinator then.
     *
     * @throws IllegalStateException if the chunk was already released.
     */
    void release();
}
