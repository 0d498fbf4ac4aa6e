package io.stoker.coordinator;

import io.stoker.transport.control.StreamId;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * One fact of a job's progress as the journal keeps it: a step acknowledged (by which rank), a chunk
 * that could not be read, or a step handed to another rank. The payload travels from the coordinator to
 * the {@link JournalAgent} through a ring buffer; in the journal file each payload is framed by its length
 * before it and a CRC32C of length and payload after it, so that a torn last record is found on restart.
 * <pre>
 *   file:    length int32 | payload (32 bytes) | crc32c int32
 *   payload: type int32 | jobId int64 | epoch int32 | segment int32 | stream int32 | step int32 | value int32
 * </pre>
 * Little-endian throughout.
 */
final class JournalRecord
{
    /**
     * A step acknowledged; value: the rank that delivered it.
     */
    static final int ACK = 1;

    /**
     * A chunk of a step could not be read; value: the chunk id.
     */
    static final int UNAVAILABLE = 2;

    /**
     * A step handed to another rank; value: the rank that holds it now.
     */
    static final int MOVE = 3;

    static final int PAYLOAD_LENGTH = 32;
    static final int FRAMED_LENGTH = Integer.BYTES + PAYLOAD_LENGTH + Integer.BYTES;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private static final int TYPE_OFFSET = 0;
    private static final int JOB_ID_OFFSET = 4;
    private static final int EPOCH_OFFSET = 12;
    private static final int SEGMENT_OFFSET = 16;
    private static final int STREAM_OFFSET = 20;
    private static final int STEP_OFFSET = 24;
    private static final int VALUE_OFFSET = 28;

    private JournalRecord()
    {
    }

    static void encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final int type,
        final long jobId,
        final StreamId stream,
        final int step,
        final int value)
    {
        buffer.putInt(offset + TYPE_OFFSET, type, ORDER);
        buffer.putLong(offset + JOB_ID_OFFSET, jobId, ORDER);
        buffer.putInt(offset + EPOCH_OFFSET, stream.epoch(), ORDER);
        buffer.putInt(offset + SEGMENT_OFFSET, stream.segment(), ORDER);
        buffer.putInt(offset + STREAM_OFFSET, stream.rank(), ORDER);
        buffer.putInt(offset + STEP_OFFSET, step, ORDER);
        buffer.putInt(offset + VALUE_OFFSET, value, ORDER);
    }

    static int type(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + TYPE_OFFSET, ORDER);
    }

    static long jobId(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + JOB_ID_OFFSET, ORDER);
    }

    static int epoch(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + EPOCH_OFFSET, ORDER);
    }

    static int segment(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + SEGMENT_OFFSET, ORDER);
    }

    /**
     * @return the stream's rank: whose stream of the segment the step is in.
     */
    static int stream(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + STREAM_OFFSET, ORDER);
    }

    static int step(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + STEP_OFFSET, ORDER);
    }

    static int value(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + VALUE_OFFSET, ORDER);
    }

    /**
     * @return the ack log's line for an acknowledgement: {@code epoch segment stream step rank}.
     */
    static String ackLine(final DirectBuffer buffer, final int offset)
    {
        return epoch(buffer, offset) + " " + segment(buffer, offset) + " " + stream(buffer, offset) + " " +
            step(buffer, offset) + " " + value(buffer, offset);
    }

    /**
     * Receives records, durable ones or those read back from the journal file.
     */
    @FunctionalInterface
    interface Handler
    {
        /**
         * @param buffer   holds the payload.
         * @param offset   where the payload starts.
         * @param replayed true when read back from the file at start-up, false when just made durable.
         */
        void onRecord(DirectBuffer buffer, int offset, boolean replayed);
    }
}
