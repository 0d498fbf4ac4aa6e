package io.stoker.transport.control;

import io.stoker.codecs.ChunkAckDecoder;
import io.stoker.codecs.ChunkAckEncoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.HeartbeatEncoder;
import io.stoker.codecs.JobSubmitEncoder;
import io.stoker.codecs.MessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlAdapterTest
{
    private static final int SESSION = 77;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final AtomicCounter invalid = new CountersManager(
        new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[8 * 1024])).newCounter("invalid");
    private final Recorder recorder = new Recorder();
    private final ControlAdapter adapter = new ControlAdapter(null, recorder, invalid);

    @Test
    void dispatchesAValidMessage()
    {
        final int length = heartbeat(12, 34);
        adapter.onMessage(buffer, 0, length, SESSION);

        assertEquals(List.of("heartbeat 12 34"), recorder.events);
        assertEquals(0, invalid.get());
    }

    @Test
    void dispatchesAMessageWithAGroup()
    {
        final ChunkAckEncoder ack = new ChunkAckEncoder().wrapAndApplyHeader(buffer, 0, header)
            .memberId(3).jobId(9).epoch(1);
        ack.chunksCount(2).next().chunkId(5).crc(0x55).next().chunkId(6).crc(0x66);
        adapter.onMessage(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + ack.encodedLength(), SESSION);

        assertEquals(List.of("ack 3 [5:55, 6:66]"), recorder.events);
    }

    @Test
    void refusesAMessageShorterThanItsHeader()
    {
        adapter.onMessage(buffer, 0, 5, SESSION);

        assertInvalid(ErrorCode.MALFORMED_MESSAGE, "shorter than the 8-byte header");
    }

    @Test
    void refusesAnotherSchema()
    {
        final int length = heartbeat(1, 2);
        buffer.putShort(4, (short)999, java.nio.ByteOrder.LITTLE_ENDIAN);
        adapter.onMessage(buffer, 0, length, SESSION);

        assertInvalid(ErrorCode.UNKNOWN_SCHEMA, "schema id 999");
    }

    @Test
    void refusesANewerVersion()
    {
        final int length = heartbeat(1, 2);
        buffer.putShort(6, (short)(MessageHeaderEncoder.SCHEMA_VERSION + 1), java.nio.ByteOrder.LITTLE_ENDIAN);
        adapter.onMessage(buffer, 0, length, SESSION);

        assertInvalid(ErrorCode.UNSUPPORTED_VERSION, "not supported");
    }

    @Test
    void refusesAnUnknownTemplate()
    {
        final int length = heartbeat(1, 2);
        buffer.putShort(2, (short)4000, java.nio.ByteOrder.LITTLE_ENDIAN);
        adapter.onMessage(buffer, 0, length, SESSION);

        assertInvalid(ErrorCode.UNKNOWN_TEMPLATE, "4000");
    }

    @Test
    void refusesATruncatedBlock()
    {
        adapter.onMessage(buffer, 0, heartbeat(1, 2) - 4, SESSION);

        assertInvalid(ErrorCode.MALFORMED_MESSAGE, "heartbeat");
    }

    @Test
    void refusesAShortBlockLength()
    {
        final int length = heartbeat(1, 2);
        buffer.putShort(0, (short)(HeartbeatDecoder.BLOCK_LENGTH - 8), java.nio.ByteOrder.LITTLE_ENDIAN);
        adapter.onMessage(buffer, 0, length, SESSION);

        assertInvalid(ErrorCode.MALFORMED_MESSAGE, "expected at least");
    }

    @Test
    void refusesAVariableLengthFieldThatRunsPastTheMessage()
    {
        final JobSubmitEncoder submit = new JobSubmitEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(1).worldSize(2).epochs(3).seed(4).datasetId("0123456789abcdef");
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + submit.encodedLength();
        buffer.putInt(MessageHeaderEncoder.ENCODED_LENGTH + JobSubmitEncoder.BLOCK_LENGTH, 1_000_000,
            java.nio.ByteOrder.LITTLE_ENDIAN);
        adapter.onMessage(buffer, 0, length, SESSION);

        assertInvalid(ErrorCode.MALFORMED_MESSAGE, "job");
    }

    @Test
    void refusesAGroupCountThatRunsPastTheMessage()
    {
        final ChunkAckEncoder ack = new ChunkAckEncoder().wrapAndApplyHeader(buffer, 0, header)
            .memberId(3).jobId(9).epoch(1);
        ack.chunksCount(1).next().chunkId(5).crc(0x55);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + ack.encodedLength();
        buffer.putShort(MessageHeaderEncoder.ENCODED_LENGTH + ChunkAckEncoder.BLOCK_LENGTH + 2, (short)5000,
            java.nio.ByteOrder.LITTLE_ENDIAN);
        adapter.onMessage(buffer, 0, length, SESSION);

        assertInvalid(ErrorCode.MALFORMED_MESSAGE, "ack");
    }

    @Test
    void keepsWorkingAfterGarbage()
    {
        for (int i = 0; i < 200; i++)
        {
            final int length = 1 + (i * 7) % 90;
            for (int b = 0; b < length; b++)
            {
                buffer.putByte(b, (byte)(i * 31 + b * 17));
            }
            adapter.onMessage(buffer, 0, length, SESSION);
        }
        recorder.events.clear();
        adapter.onMessage(buffer, 0, heartbeat(5, 6), SESSION);

        assertEquals(List.of("heartbeat 5 6"), recorder.events);
        assertTrue(invalid.get() >= 190, "invalid messages counted: " + invalid.get());
    }

    private int heartbeat(final int memberId, final long timestamp)
    {
        final HeartbeatEncoder heartbeat = new HeartbeatEncoder().wrapAndApplyHeader(buffer, 0, header)
            .memberId(memberId).timestampNs(timestamp);
        return MessageHeaderEncoder.ENCODED_LENGTH + heartbeat.encodedLength();
    }

    private void assertInvalid(final ErrorCode code, final String reasonPart)
    {
        assertEquals(1, invalid.get());
        assertEquals(1, recorder.events.size(), recorder.events.toString());
        final String event = recorder.events.get(0);
        assertTrue(event.startsWith("invalid " + code), event);
        assertTrue(event.toLowerCase().contains(reasonPart.toLowerCase()) || event.contains("template"), event);
    }

    private static final class Recorder implements ControlListener
    {
        final List<String> events = new ArrayList<>();

        public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
        {
            events.add("heartbeat " + decoder.memberId() + " " + decoder.timestampNs());
        }

        public void onChunkAck(final int sessionId, final ChunkAckDecoder decoder)
        {
            final List<String> chunks = new ArrayList<>();
            for (final ChunkAckDecoder.ChunksDecoder chunk : decoder.chunks())
            {
                chunks.add(chunk.chunkId() + ":" + Integer.toHexString(chunk.crc()));
            }
            events.add("ack " + decoder.memberId() + " " + chunks);
        }

        public void onInvalid(final int sessionId, final ErrorCode code, final int templateId, final String reason)
        {
            assertEquals(SESSION, sessionId);
            events.add("invalid " + code + " " + reason);
        }
    }
}
