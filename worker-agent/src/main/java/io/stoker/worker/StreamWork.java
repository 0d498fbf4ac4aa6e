package io.stoker.worker;

import io.stoker.plan.RankStream;
import io.stoker.transport.control.StreamId;

import java.util.BitSet;

/**
 * What a worker does of one rank's stream in one epoch: the stream's plan, the steps the coordinator assigned
 * to this worker, those it has ordered (reads asked for, batch queued or with the consumer) and those the
 * consumer released. Used from the worker's agent thread only.
 */
final class StreamWork
{
    private final int id;
    private final StreamId streamId;
    private final RankStream plan;
    private final BitSet assigned = new BitSet();
    private final BitSet ordered = new BitSet();
    private final BitSet released = new BitSet();
    private final BitSet reasked = new BitSet();

    /**
     * @param id   the worker's own number for it, unique while the job runs: part of each read's tag.
     * @param plan the stream's plan, computed from the job and the manifest.
     */
    StreamWork(final int id, final StreamId streamId, final RankStream plan)
    {
        this.id = id;
        this.streamId = streamId;
        this.plan = plan;
    }

    int id()
    {
        return id;
    }

    StreamId streamId()
    {
        return streamId;
    }

    int epoch()
    {
        return streamId.epoch();
    }

    int segment()
    {
        return streamId.segment();
    }

    int stream()
    {
        return streamId.rank();
    }

    RankStream plan()
    {
        return plan;
    }

    /**
     * @return steps in the stream.
     */
    int steps()
    {
        return plan.steps();
    }

    /**
     * Take a step on.
     *
     * @return true when it is new to this worker: not assigned before, nor released. A step assigned again while
     * ordered is remembered: should its batch come back dropped, it is ordered again ({@link #drop}).
     */
    boolean assign(final int step)
    {
        if (released.get(step))
        {
            return false;
        }
        if (assigned.get(step))
        {
            reasked.set(step);
            return false;
        }
        assigned.set(step);
        return true;
    }

    boolean isReleased(final int step)
    {
        return released.get(step);
    }

    boolean isOrdered(final int step)
    {
        return ordered.get(step);
    }

    void order(final int step)
    {
        ordered.set(step);
    }

    /**
     * The consumer released the step: it is delivered.
     */
    void release(final int step)
    {
        released.set(step);
        ordered.clear(step);
        assigned.clear(step);
        reasked.clear(step);
    }

    /**
     * The step's batch was not delivered after all (its lease may have ended, and the coordinator may have given
     * the step to another rank).
     *
     * @return true when the coordinator assigned the step again since the worker registered anew: it stays
     * assigned, to be ordered again.
     */
    boolean drop(final int step)
    {
        ordered.clear(step);
        if (reasked.get(step))
        {
            reasked.clear(step);
            return true;
        }
        assigned.clear(step);
        return false;
    }

    /**
     * Forget every assignment not yet ordered, and what was assigned again before, after registering anew: from
     * now on only the new registration's assignments count.
     */
    void dropUnordered()
    {
        assigned.and(ordered);
        reasked.clear();
    }

    /**
     * @return the next step after {@code step} assigned to this worker and not yet released, or -1.
     */
    int nextAssigned(final int step)
    {
        final int next = assigned.nextSetBit(step + 1);
        return next < 0 || next >= plan.steps() ? -1 : next;
    }

    /**
     * @return steps the consumer released before the first it did not: where a restart resumes.
     */
    int releasedPrefix()
    {
        return Math.min(plan.steps(), released.nextClearBit(0));
    }
}
