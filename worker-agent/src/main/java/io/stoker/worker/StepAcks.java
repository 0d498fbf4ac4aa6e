package io.stoker.worker;

import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;

/**
 * Collects acknowledgements of one stream's steps and sends them as one message per duty cycle, or sooner when
 * the message is full or the stream changes. Public for the scale simulation's workers, which acknowledge as a
 * worker does.
 */
public final class StepAcks
{
    private final int[] steps = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private final ControlPublisher publisher;
    private StreamId stream;
    private int count;

    /**
     * @param publisher encodes the acknowledgements.
     */
    public StepAcks(final ControlPublisher publisher)
    {
        this.publisher = publisher;
    }

    /**
     * Take one released step; sends what was collected first when the stream changes or the message is full.
     *
     * @param outbox   to the coordinator.
     * @param memberId the sending worker's.
     * @param jobId    the running job's.
     * @param stream   the step's stream.
     * @param step     the step released.
     */
    public void add(final Outbox outbox, final int memberId, final long jobId, final StreamId stream, final int step)
    {
        if (count > 0 && (!stream.equals(this.stream) || count == steps.length))
        {
            flush(outbox, memberId, jobId);
        }
        this.stream = stream;
        steps[count++] = step;
    }

    /**
     * Send what was collected, as one message.
     *
     * @param outbox   to the coordinator.
     * @param memberId the sending worker's.
     * @param jobId    the running job's.
     * @return true if there was something to send.
     */
    public boolean flush(final Outbox outbox, final int memberId, final long jobId)
    {
        if (0 == count)
        {
            return false;
        }
        publisher.stepAck(outbox, memberId, jobId, stream, steps, count);
        count = 0;
        return true;
    }

    /**
     * Forget what was collected, as when the registration is lost.
     */
    public void clear()
    {
        count = 0;
    }
}
