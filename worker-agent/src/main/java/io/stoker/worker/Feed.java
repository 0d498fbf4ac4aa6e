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
 * A {@link Gate} decides at the hand-off whether the next item goes to the consumer now, later, or never (a worker's
 * {@link Claims}: once the coordinator confirmed its step), and drops those that may not go; waiting at the gate is
 * waiting.
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
     * @return the next item, or null when none is ready now or the gate holds it back.
     */
    public T poll()
    {
        T item;
        while (null != (item = ready.peek()))
        {
            final Gate.Admission admission = gate.admit(item);
            if (Gate.Admission.WAIT == admission)
            {
                item = null;
                break;
            }
            ready.poll();
            if (Gate.Admission.TAKE == admission)
            {
                break;
            }
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
    @FunctionalInterface
    public interface Gate<T>
    {
        /**
         * A gate that lets every item through.
         */
        Gate<Object> OPEN = item -> Admission.TAKE;

        /**
         * What becomes of the item at the head of the feed.
         */
        enum Admission
        {
            /**
             * It goes to the consumer now.
             */
            TAKE,
            /**
             * Not yet: it stays at the head, and the consumer waits.
             */
            WAIT,
            /**
             * It never goes: the gate gave it back to its producer, and the next item is tried.
             */
            DROP
        }

        /**
         * Decide what becomes of the item at the head of the feed; one dropped is given back to its producer.
         *
         * @return what the feed does with it.
         */
        Admission admit(T item);
    }
}
