package io.stoker.transport.session;

import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.Role;
import io.stoker.transport.wire.Refusals;
import io.stoker.transport.wire.SampleMessages;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which messages pass the gate from which sessions, and that every refusal is counted exactly once.
 */
class MessageGateTest
{
    private static final int STRANGER = 13;
    private static final int OPEN = 21;
    private static final int SEALED = 34;
    private static final int BODY = 8;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private final AtomicCounter invalid = new CountersManager(
        new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[8 * 1024])).newCounter("invalid");
    private final List<String> answers = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final Refusals refusals = new Refusals("test", invalid, ex -> log.add(ex.getMessage()),
        SystemNanoClock.INSTANCE)
        .answerWith((sessionId, code, templateId, reason) -> answers.add(sessionId + " " + code));
    private final SessionKeys keys = SessionKeys.derive(
        new JobToken("the-token-of-the-gate-test!".getBytes(StandardCharsets.UTF_8)),
        HandshakeTranscript.of(Service.COORDINATOR, new HandshakeIdentity(Role.WORKER, 0, (byte)0, 1, "h", "aeron:ipc"),
            1, SEALED, 55, new byte[32], new byte[32]));
    private final Int2ObjectHashMap<MessageOpener> sessions = new Int2ObjectHashMap<>();
    private final MessageGate gate = new MessageGate(sessions::get, refusals, -1);
    private final MessageSealer sealer = keys.sealer(true);

    MessageGateTest()
    {
        sessions.put(OPEN, MessageOpener.OPEN);
        sessions.put(SEALED, keys.opener(false));
    }

    @Test
    void aHandshakePassesFromAnyoneAndNothingElseDoes()
    {
        final int hello = encode("Hello");
        assertEquals(hello, gate.admit(buffer, 0, hello, STRANGER));

        for (final SampleMessages.Sample sample : SampleMessages.all())
        {
            final int length = sample.encode(buffer);
            final boolean handshake = List.of("Hello", "Challenge", "Proof").contains(sample.name());
            assertEquals(handshake ? length : -1, gate.admit(buffer, 0, length, STRANGER), sample.name());
        }
        assertEquals(SampleMessages.all().size() - 3, invalid.get());
        assertTrue(log.get(0).contains("NOT_REGISTERED") && log.get(0).contains("not an authenticated session"),
            log.get(0));
    }

    @Test
    void anOpenSessionSendsUnsealed()
    {
        final int length = encode("Heartbeat");
        assertEquals(length, gate.admit(buffer, 0, length, OPEN));
        assertEquals(0, invalid.get());
    }

    @Test
    void aSealedSessionMustSealAndCannotReplay()
    {
        final int length = encode("Heartbeat");
        assertEquals(-1, gate.admit(buffer, 0, length, SEALED), "unsealed");
        assertEquals(1, invalid.get());

        sealer.seal(buffer, 0, length, buffer, length);
        final byte[] sealedCopy = new byte[length + MessageSealer.SEAL_LENGTH];
        buffer.getBytes(0, sealedCopy);
        assertEquals(length, gate.admit(buffer, 0, length + MessageSealer.SEAL_LENGTH, SEALED));
        assertEquals(-1, gate.admit(buffer, 0, length + MessageSealer.SEAL_LENGTH, SEALED), "replayed");
        assertEquals(2, invalid.get());

        final int next = encode("Heartbeat");
        sealer.seal(buffer, 0, next, buffer, next);
        buffer.putByte(BODY, (byte)7);
        assertEquals(-1, gate.admit(buffer, 0, next + MessageSealer.SEAL_LENGTH, SEALED), "altered");
        assertEquals(3, invalid.get());
        assertTrue(log.stream().allMatch(line -> line.contains("AUTHENTICATION_FAILED") || line.contains("NOT_")),
            log.toString());
    }

    @Test
    void readDataTravelsUnsealedOnASealedSession()
    {
        final int length = encode("ReadData");
        assertEquals(length, gate.admit(buffer, 0, length, SEALED));
        assertEquals(0, invalid.get());
    }

    @Test
    void aStrangerMayAnswerAHandshakeWithAnErrorWhereTheReceiverAllowsIt()
    {
        final MessageGate initiatorGate = new MessageGate(sessions::get, refusals, 12);
        final int length = encode("ErrorResponse");
        assertEquals(length, initiatorGate.admit(buffer, 0, length, STRANGER));
        assertEquals(-1, gate.admit(buffer, 0, length, STRANGER));
        assertEquals(1, invalid.get());
        assertEquals(List.of(STRANGER + " " + ErrorCode.NOT_REGISTERED), answers);
    }

    @Test
    void garbageIsRefusedOnceEachAndTheGateGoesOn()
    {
        for (int i = 0; i < 500; i++)
        {
            final int length = 1 + (i * 7) % 90;
            for (int b = 0; b < length; b++)
            {
                buffer.putByte(b, (byte)(i * 31 + b * 17));
            }
            assertEquals(-1, gate.admit(buffer, 0, length, i % 3 == 0 ? OPEN : STRANGER));
        }
        assertEquals(500, invalid.get());
        assertTrue(log.size() <= Refusals.LOG_LINES_PER_SECOND + 1, "the log is paced: " + log.size());

        final int length = encode("Heartbeat");
        assertEquals(length, gate.admit(buffer, 0, length, OPEN));
    }

    private int encode(final String name)
    {
        return SampleMessages.all().stream().filter(sample -> sample.name().equals(name)).findFirst()
            .orElseThrow().encode(buffer);
    }
}
