package io.stoker.worker;

import org.agrona.collections.Int2ObjectHashMap;

/**
 * Follows how far the consumer got in the rank's own stream, to tell where a restart would resume: the first
 * epoch whose own stream it has not fully released and the steps of it released before the first it did not.
 * Updated on the agent thread; read from the consumer's through one volatile word.
 */
final class ResumePoint
{
    private final Int2ObjectHashMap<StreamWork> ownStreams = new Int2ObjectHashMap<>();
    private int epoch;
    private volatile long published;

    /**
     * Start over at an epoch, for a new job.
     */
    void reset(final int startEpoch)
    {
        ownStreams.clear();
        epoch = startEpoch;
        publish(0);
    }

    /**
     * The rank's own stream of an epoch, once the worker has it: it tells the epoch's steps.
     */
    void track(final StreamWork own)
    {
        if (own.epoch() >= epoch)
        {
            ownStreams.put(own.epoch(), own);
            advance();
        }
    }

    /**
     * The consumer released a step of a stream.
     */
    void onReleased(final StreamWork work)
    {
        if (work.epoch() == epoch && ownStreams.get(epoch) == work)
        {
            advance();
        }
    }

    /**
     * The coordinator completed an epoch: nothing of it is left for this rank.
     */
    void complete(final int completedEpoch)
    {
        ownStreams.remove(completedEpoch);
        if (completedEpoch == epoch)
        {
            epoch++;
            advance();
        }
    }

    /**
     * @return the epoch and step, read at once from any thread: decode with {@link #epochOf} and {@link #stepOf}.
     */
    long position()
    {
        return published;
    }

    /**
     * @return the epoch the consumer is in.
     */
    static int epochOf(final long position)
    {
        return (int)(position >>> 32);
    }

    /**
     * @return steps of the epoch's own stream the consumer released before the first it did not.
     */
    static int stepOf(final long position)
    {
        return (int)position;
    }

    private void advance()
    {
        StreamWork own;
        while (null != (own = ownStreams.get(epoch)) && own.releasedPrefix() == own.steps())
        {
            ownStreams.remove(epoch++);
        }
        publish(null == own ? 0 : own.releasedPrefix());
    }

    private void publish(final int step)
    {
        published = ((long)epoch << 32) | (step & 0xFFFF_FFFFL);
    }
}
