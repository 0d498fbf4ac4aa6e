package io.stoker.worker;

import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;

/**
 * Collects acknowledgements of one stream's steps and sends them as one message per duty cycle, or sooner when
 * the message is full or the stream changes.
 */
final class StepAcks
{
    private final int[] steps = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private final ControlPublisher publisher;
    private StreamId stream;
    private int count;

    StepAcks(final ControlPublisher publisher)
    {
        this.publisher = publisher;
    }

    void add(final Outbox outbox, final int memberId, final long jobId, final StreamId stream, final int step)
    {
        if (count > 0 && (!stream.equals(this.stream) || count == steps.length))
        {
            flush(outbox, memberId, jobId);
        }
        this.stream = stream;
        steps[count++] = step;
    }

    /**
     * @return true if there was something to send.
     */
    boolean flush(final Outbox outbox, final int memberId, final long jobId)
    {
        if (0 == count)
        {
            return false;
        }
        publisher.stepAck(outbox, memberId, jobId, stream, steps, count);
        count = 0;
        return true;
    }

    void clear()
    {
        count = 0;
    }
}
