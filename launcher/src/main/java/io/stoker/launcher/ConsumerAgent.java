package io.stoker.launcher;

import io.stoker.worker.Chunk;
import io.stoker.worker.ChunkFeed;
import org.agrona.concurrent.Agent;

/**
 * Drains a worker's feed into a {@link ChunkHandler} and releases each chunk: the consumer of a local
 * run (sharing the worker's thread, so a small machine runs one thread per rank) and of
 * {@code stoker worker} (on the main thread, as a training loop would). With a step time it holds each
 * chunk that long before releasing it, as a training step would, without blocking the thread: the worker
 * keeps reading ahead meanwhile.
 */
final class ConsumerAgent<C extends Chunk> implements Agent
{
    private static final int CHUNK_LIMIT = 4;

    private final int rank;
    private final ChunkFeed<C> feed;
    private final ChunkHandler handler;
    private final long stepNs;
    private C held;
    private long releaseAtNs;

    /**
     * @param stepNs how long each chunk is held before release; 0 releases at once.
     */
    ConsumerAgent(final int rank, final ChunkFeed<C> feed, final ChunkHandler handler, final long stepNs)
    {
        this.rank = rank;
        this.feed = feed;
        this.handler = handler;
        this.stepNs = stepNs;
    }

    @Override
    public int doWork()
    {
        if (null != held)
        {
            if (System.nanoTime() - releaseAtNs < 0)
            {
                return 0;
            }
            held.release();
            held = null;
        }

        int work = 0;
        C chunk;
        while (work < CHUNK_LIMIT && null != (chunk = feed.poll()))
        {
            work++;
            try
            {
                handler.onChunk(rank, chunk);
            }
            catch (final RuntimeException ex)
            {
                chunk.release();
                throw ex;
            }
            if (stepNs > 0)
            {
                held = chunk;
                releaseAtNs = System.nanoTime() + stepNs;
                break;
            }
            chunk.release();
        }
        return work;
    }

    @Override
    public String roleName()
    {
        return "stoker-consumer-" + rank;
    }
}
