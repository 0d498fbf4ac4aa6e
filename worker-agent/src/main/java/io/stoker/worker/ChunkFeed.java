package io.stoker.worker;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The consumer's end of a worker: chunks in the order the worker was assigned them, handed over
 * through a lock-free single-producer single-consumer queue. Poll it from one thread.
 * <p>
 * The time a consumer spends asking for a chunk when none is ready, counted from the first chunk
 * on, is the starvation figure: it lands in the worker's "consumer wait" counter.
 *
 * @param <C> the kind of chunk: host memory or device memory.
 */
public final class ChunkFeed<C extends Chunk>
{
    private final OneToOneConcurrentArrayQueue<C> ready;
    private final AtomicCounter waitNs;
    private volatile boolean finished;
    private boolean started;
    private long waitStartNs;

    /**
     * @param capacity most chunks waiting for the consumer.
     * @param waitNs   where the consumer's wait time is added.
     */
    public ChunkFeed(final int capacity, final AtomicCounter waitNs)
    {
        this.ready = new OneToOneConcurrentArrayQueue<>(capacity);
        this.waitNs = waitNs;
    }

    /**
     * @return the next chunk, or null when none is ready now.
     */
    public C poll()
    {
        final C chunk = ready.poll();
        if (null != chunk)
        {
            if (0 != waitStartNs)
            {
                waitNs.getAndAddOrdered(System.nanoTime() - waitStartNs);
                waitStartNs = 0;
            }
            started = true;
        }
        else if (started && 0 == waitStartNs && !finished)
        {
            waitStartNs = System.nanoTime();
        }
        return chunk;
    }

    /**
     * Wait for the next chunk.
     *
     * @param idleStrategy how to wait.
     * @return the next chunk, or null when the job is complete and every chunk was taken.
     */
    public C take(final IdleStrategy idleStrategy)
    {
        idleStrategy.reset();
        while (true)
        {
            final boolean wasFinished = finished;
            final C chunk = poll();
            if (null != chunk)
            {
                return chunk;
            }
            if (wasFinished)
            {
                return null;
            }
            idleStrategy.idle();
        }
    }

    /**
     * @return true when the job is complete and every chunk was taken.
     */
    public boolean isFinished()
    {
        return finished && ready.isEmpty();
    }

    /**
     * The sink's end: hand a chunk to the consumer. Called from the worker's agent thread only.
     *
     * @return false when the feed is full.
     */
    public boolean offer(final C chunk)
    {
        return ready.offer(chunk);
    }

    /**
     * The sink's end: no more chunks will come once the queued ones are taken.
     */
    public void finish()
    {
        finished = true;
    }
}
