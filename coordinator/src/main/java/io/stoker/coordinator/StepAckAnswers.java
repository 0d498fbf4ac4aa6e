package io.stoker.coordinator;

import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;

import java.util.function.IntFunction;

/**
 * Collects the coordinator's answers to one worker's claims of one stream's steps and sends them as one
 * {@code StepAckAnswer}: when the worker or the stream changes, when the message is full, and before anything else
 * is sent (so that a worker hears a step confirmed before the epoch that step completed), at the latest at the end
 * of the duty cycle.
 */
final class StepAckAnswers
{
    private static final int NONE = -1;

    private final int[] confirmed = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private final int[] refused = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private final ControlPublisher publisher;
    private final IntFunction<Outbox> outboxes;
    private int memberId = NONE;
    private long jobId;
    private int epoch;
    private int segment;
    private int stream;
    private int confirmedCount;
    private int refusedCount;

    /**
     * @param publisher encodes the answers.
     * @param outboxes  a member's outbox by its id, or null when it is gone.
     */
    StepAckAnswers(final ControlPublisher publisher, final IntFunction<Outbox> outboxes)
    {
        this.publisher = publisher;
        this.outboxes = outboxes;
    }

    /**
     * Take one answer; sends what was collected first when the worker or stream changes or the message is full.
     */
    void add(
        final int memberId,
        final long jobId,
        final int epoch,
        final int segment,
        final int stream,
        final int step,
        final boolean isConfirmed)
    {
        if (memberId != this.memberId || jobId != this.jobId || epoch != this.epoch || segment != this.segment ||
            stream != this.stream || confirmedCount == confirmed.length || refusedCount == refused.length)
        {
            flush();
            this.memberId = memberId;
            this.jobId = jobId;
            this.epoch = epoch;
            this.segment = segment;
            this.stream = stream;
        }
        if (isConfirmed)
        {
            confirmed[confirmedCount++] = step;
        }
        else
        {
            refused[refusedCount++] = step;
        }
    }

    /**
     * Send what was collected.
     *
     * @return 1 when something was sent, else 0.
     */
    int flush()
    {
        if (0 == confirmedCount + refusedCount)
        {
            return 0;
        }
        final Outbox outbox = outboxes.apply(memberId);
        if (null != outbox)
        {
            publisher.stepAckAnswer(outbox, jobId, epoch, segment, stream, confirmed, confirmedCount, refused,
                refusedCount);
        }
        confirmedCount = 0;
        refusedCount = 0;
        return 1;
    }
}
