package io.stoker.launcher;

import io.stoker.worker.Batch;
import io.stoker.worker.Chunk;
import io.stoker.worker.Feed;
import org.agrona.concurrent.Agent;

/**
 * Drains a worker's feed into a {@link BatchHandler} and releases each batch: the consumer of a local run (sharing
 * the worker's thread, so a small machine runs one thread per rank) and of {@code stoker worker} (on the main
 * thread, as a training loop would). With a step time it holds each batch that long before releasing it, as a
 * training step would, without blocking the thread: the worker keeps reading ahead meanwhile.
 */
final class ConsumerAgent<C extends Chunk> implements Agent
{
    private static final int BATCH_LIMIT = 4;

    private final int rank;
    private final Feed<Batch<C>> feed;
    private final BatchHandler handler;
    private final long stepNs;
    private Batch<C> held;
    private long releaseAtNs;

    /**
     * @param stepNs how long each batch is held before release; 0 releases at once.
     */
    ConsumerAgent(final int rank, final Feed<Batch<C>> feed, final BatchHandler handler, final long stepNs)
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
        Batch<C> batch;
        while (work < BATCH_LIMIT && null != (batch = feed.poll()))
        {
            work++;
            try
            {
                handler.onBatch(rank, batch);
            }
            catch (final RuntimeException ex)
            {
                batch.release();
                throw ex;
            }
            if (stepNs > 0)
            {
                held = batch;
                releaseAtNs = System.nanoTime() + stepNs;
                break;
            }
            batch.release();
        }
        return work;
    }

    @Override
    public String roleName()
    {
        return "stoker-consumer-" + rank;
    }
}
