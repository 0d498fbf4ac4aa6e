package io.stoker.worker;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The consumer's end of a worker: batches (or, for a sink on its own, chunks) in the order the worker
 * delivers them, handed over through a lock-free single-producer single-consumer queue. Poll it from one
 * thread.
 * <p>
 * The time a consumer spends asking when nothing is ready, counted from the first item on, is the
 * starvation figure: it lands in the worker's "consumer wait" counter.
 * <p>
 * A {@link Gate} decides at the hand-off whether items may go to the consumer now (a worker's {@link LeaseFence}:
 * only while its lease is held) and drops those that may not go any more; waiting at a closed gate is waiting.
 *
 * @param <T> what the consumer takes.
 */
public final class Feed<T> implements Handoff<T>
{
    private final OneToOneConcurrentArrayQueue<T> ready;
    private final AtomicCounter waitNs;
    private final Gate<? super T> gate;
    private volatile boolean finished;
    private boolean started;
    private long waitStartNs;

    /**
     * @param capacity most items waiting for the consumer.
     * @param waitNs   where the consumer's wait time is added.
     */
    public Feed(final int capacity, final AtomicCounter waitNs)
    {
        this(capacity, waitNs, Gate.OPEN);
    }

    /**
     * @param capacity most items waiting for the consumer.
     * @param waitNs   where the consumer's wait time is added.
     * @param gate     what an item must pass on its way to the consumer.
     */
    public Feed(final int capacity, final AtomicCounter waitNs, final Gate<? super T> gate)
    {
        this.ready = new OneToOneConcurrentArrayQueue<>(capacity);
        this.waitNs = waitNs;
        this.gate = gate;
    }

    /**
     * @return the next item, or null when none is ready now or the gate is closed.
     */
    public T poll()
    {
        T item = null;
        while (gate.isOpen() && null != (item = ready.poll()) && gate.dropIfRevoked(item))
        {
            item = null;
        }
        if (null != item)
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
        return item;
    }

    /**
     * Wait for the next item.
     *
     * @param idleStrategy how to wait.
     * @return the next item, or null when the job is complete and every item was taken.
     */
    public T take(final IdleStrategy idleStrategy)
    {
        idleStrategy.reset();
        while (true)
        {
            final boolean wasFinished = finished;
            final T item = poll();
            if (null != item)
            {
                return item;
            }
            if (wasFinished && ready.isEmpty())
            {
                return null;
            }
            idleStrategy.idle();
        }
    }

    /**
     * @return true when the job is complete and every item was taken.
     */
    public boolean isFinished()
    {
        return finished && ready.isEmpty();
    }

    /**
     * For a consumer that keeps an item it polled before passing it on (a channel whose ring was full): drop it if
     * it may not go to the consumer any more.
     *
     * @return true when the item was dropped: forget it.
     */
    public boolean dropIfRevoked(final T item)
    {
        return gate.dropIfRevoked(item);
    }

    /**
     * The producer's end: hand an item to the consumer. Called from the worker's agent thread only.
     *
     * @return false when the feed is full.
     */
    @Override
    public boolean offer(final T item)
    {
        return ready.offer(item);
    }

    /**
     * The producer's end: nothing more will come once the queued items are taken.
     */
    @Override
    public void finish()
    {
        finished = true;
    }

    /**
     * What an item must pass on its way to the consumer. Called from the consumer's thread.
     *
     * @param <T> the items.
     */
    public interface Gate<T>
    {
        /**
         * A gate always open that drops nothing.
         */
        Gate<Object> OPEN = new Gate<>()
        {
            @Override
            public boolean isOpen()
            {
                return true;
            }

            @Override
            public boolean dropIfRevoked(final Object item)
            {
                return false;
            }
        };

        /**
         * @return true when items may go to the consumer now.
         */
        boolean isOpen();

        /**
         * Drop the item if it may not go to the consumer any more, giving it back to its producer.
         *
         * @return true when it was dropped.
         */
        boolean dropIfRevoked(T item);
    }
}
