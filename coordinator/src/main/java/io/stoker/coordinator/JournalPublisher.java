package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import io.stoker.transport.control.StreamId;
import org.agrona.BitUtil;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;

/**
 * The coordinator's side of the journal: offers records to the {@link JournalAgent} through a ring buffer,
 * keeps each until the agent reports it durable, and then hands it back to the coordinator to count. The
 * coordinator thus counts only what a restart would know, without waiting on the disk in its duty cycle.
 * Positions are offsets in the journal file: every record there has the same length, so the position of each
 * record offered is known here.
 */
final class JournalPublisher
{
    private static final int RING_RECORD_LENGTH = BitUtil.align(
        RecordDescriptor.HEADER_LENGTH + JournalRecord.PAYLOAD_LENGTH, RecordDescriptor.ALIGNMENT);

    private final OneToOneRingBuffer ring;
    private final JournalAgent agent;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalRecord.PAYLOAD_LENGTH]);
    private final ExpandableArrayBuffer pending = new ExpandableArrayBuffer(64 * JournalRecord.PAYLOAD_LENGTH);
    private int pendingHead;
    private int pendingTail;
    private long offeredPosition;
    private long appliedPosition;
    private long checkpointSequence;

    JournalPublisher(final OneToOneRingBuffer ring, final JournalAgent agent, final long position)
    {
        this.ring = ring;
        this.agent = agent;
        this.offeredPosition = position;
        this.appliedPosition = position;
    }

    /**
     * Offer a record.
     *
     * @return false when the ring buffer is full: the record is not journaled.
     */
    boolean offer(final int type, final long jobId, final StreamId stream, final int step, final int value)
    {
        JournalRecord.encode(scratch, 0, type, jobId, stream, step, value);
        if (!ring.write(type, scratch, 0, JournalRecord.PAYLOAD_LENGTH))
        {
            return false;
        }
        pending.putBytes(pendingTail, scratch, 0, JournalRecord.PAYLOAD_LENGTH);
        pendingTail += JournalRecord.PAYLOAD_LENGTH;
        offeredPosition += JournalRecord.FRAMED_LENGTH;
        return true;
    }

    /**
     * Whether the ring buffer has room for {@code records} more records, with room to spare for the padding at
     * its end: the coordinator takes a message in only when every record it could give rise to fits.
     *
     * @param records records to be offered.
     * @return true when that many fit now (the journal agent only ever makes more room).
     */
    boolean hasRoomFor(final int records)
    {
        return ring.capacity() - ring.size() >= (records + 1L) * RING_RECORD_LENGTH;
    }

    /**
     * Hand the records that became durable to the handler, oldest first.
     *
     * @return records handed.
     */
    int poll(final JournalRecord.Handler handler)
    {
        final long durable = agent.durablePosition();
        int records = 0;
        while (pendingHead < pendingTail && appliedPosition + JournalRecord.FRAMED_LENGTH <= durable)
        {
            final int offset = pendingHead;
            pendingHead += JournalRecord.PAYLOAD_LENGTH;
            appliedPosition += JournalRecord.FRAMED_LENGTH;
            handler.onRecord(pending, offset, false);
            records++;
        }
        if (pendingHead == pendingTail)
        {
            pendingHead = 0;
            pendingTail = 0;
        }
        return records;
    }

    /**
     * @return true when every record offered was handed back durable: the coordinator's state is then exactly
     * that of the journal up to {@link #position()}, as a checkpoint must be.
     */
    boolean isQuiet()
    {
        return pendingHead == pendingTail;
    }

    /**
     * @return where the next record offered goes in the journal.
     */
    long position()
    {
        return offeredPosition;
    }

    /**
     * Ask the journal agent to write a checkpoint of the jobs at {@link #position()}, which must be quiet.
     *
     * @param jobs the jobs by name, each bound to its manifest.
     * @return the checkpoint's sequence: written once {@link #checkpointsWritten()} reaches it.
     */
    long checkpoint(final SortedMap<String, Job> jobs)
    {
        final List<Manifest> manifests = new ArrayList<>();
        for (final Job job : jobs.values())
        {
            manifests.add(job.manifest());
        }
        agent.checkpoint(new JournalAgent.Snapshot(
            ++checkpointSequence, CheckpointStore.encode(jobs, offeredPosition), manifests));
        return checkpointSequence;
    }

    long checkpointsWritten()
    {
        return agent.checkpointsWritten();
    }
}
