package io.stoker.worker;

import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.session.Outbox;

/**
 * Collects acknowledgements of one epoch and sends them as one message per duty cycle, or sooner
 * when the batch is full or the epoch changes.
 */
final class AckBatcher
{
    private final int[] chunkIds = new int[MessageLimits.MAX_CHUNKS_PER_MESSAGE];
    private final int[] crcs = new int[MessageLimits.MAX_CHUNKS_PER_MESSAGE];
    private final ControlPublisher publisher;
    private int epoch;
    private int count;

    AckBatcher(final ControlPublisher publisher)
    {
        this.publisher = publisher;
    }

    void add(
        final Outbox outbox, final int memberId, final long jobId, final int epoch, final int chunkId, final int crc)
    {
        if (count > 0 && (epoch != this.epoch || count == chunkIds.length))
        {
            flush(outbox, memberId, jobId);
        }
        this.epoch = epoch;
        chunkIds[count] = chunkId;
        crcs[count] = crc;
        count++;
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
        publisher.chunkAck(outbox, memberId, jobId, epoch, chunkIds, crcs, count);
        count = 0;
        return true;
    }

    void clear()
    {
        count = 0;
    }
}
