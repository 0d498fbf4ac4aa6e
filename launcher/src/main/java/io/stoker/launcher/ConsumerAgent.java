package io.stoker.launcher;

import io.stoker.worker.ChunkFeed;
import io.stoker.worker.Chunk;
import org.agrona.concurrent.Agent;

/**
 * Drains a worker's feed into a {@link ChunkHandler} and releases each chunk: the consumer of a local
 * run, sharing the worker's thread so that a small machine runs one thread per rank.
 */
final class ConsumerAgent<C extends Chunk> implements Agent
{
    private static final int CHUNK_LIMIT = 4;

    private final int rank;
    private final ChunkFeed<C> feed;
    private final ChunkHandler handler;

    ConsumerAgent(final int rank, final ChunkFeed<C> feed, final ChunkHandler handler)
    {
        this.rank = rank;
        this.feed = feed;
        this.handler = handler;
    }

    public int doWork()
    {
        int work = 0;
        C chunk;
        while (work < CHUNK_LIMIT && null != (chunk = feed.poll()))
        {
            try
            {
                handler.onChunk(rank, chunk);
            }
            finally
            {
                chunk.release();
            }
            work++;
        }
        return work;
    }

    public String roleName()
    {
        return "stoker-consumer-" + rank;
    }
}
