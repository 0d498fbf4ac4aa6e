package io.stoker.transport.session;

import io.stoker.codecs.Role;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key schedule: a proof answers one transcript only, so it can be neither replayed on another
 * session nor relayed to another service, role or endpoint.
 */
class SessionKeysTest
{
    private static final JobToken TOKEN =
        new JobToken("the-job-token-of-the-keys-test".getBytes(StandardCharsets.UTF_8));
    private static final HandshakeIdentity WORKER =
        new HandshakeIdentity(Role.WORKER, 3, (byte)2, 1002, "host-a", "aeron:udp?endpoint=10.0.0.7:7410");
    private static final byte[] NONCE_A = nonce(1);
    private static final byte[] NONCE_B = nonce(2);

    @Test
    void bothSidesDeriveTheSameKeysFromTheSameTranscript()
    {
        final SessionKeys verifier = keys(Service.COORDINATOR, WORKER, 9, 100, 200, NONCE_A, NONCE_B);
        final SessionKeys initiator = keys(Service.COORDINATOR, WORKER, 9, 100, 200, NONCE_A, NONCE_B);

        assertTrue(initiator.isVerifierProof(verifier.verifierProof()));
        assertTrue(verifier.isInitiatorProof(initiator.initiatorProof()));
        assertFalse(verifier.isInitiatorProof(verifier.verifierProof()), "the verifier's proof is not the initiator's");
        assertFalse(Arrays.equals(verifier.verifierProof(), verifier.initiatorProof()));
    }

    @Test
    void anyChangeToTheTranscriptGivesOtherProofs()
    {
        final List<SessionKeys> variants = new ArrayList<>();
        variants.add(keys(Service.COORDINATOR, WORKER, 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.DATA_SERVER, WORKER, 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, new HandshakeIdentity(Role.CLIENT, 3, (byte)2, 1002, "host-a",
            WORKER.responseChannel()), 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, new HandshakeIdentity(Role.WORKER, 4, (byte)2, 1002, "host-a",
            WORKER.responseChannel()), 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, new HandshakeIdentity(Role.WORKER, 3, (byte)2, 1002, "host-a",
            "aeron:udp?endpoint=10.0.0.66:7410"), 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, new HandshakeIdentity(Role.WORKER, 3, (byte)2, 1003, "host-a",
            WORKER.responseChannel()), 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, new HandshakeIdentity(Role.WORKER, 3, (byte)2, 1002, "host-b",
            WORKER.responseChannel()), 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, new HandshakeIdentity(Role.WORKER, 3, (byte)2, 1002, "host-a",
            WORKER.responseChannel(), 77), 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, WORKER.forJob("job-a"), 9, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, WORKER, 10, 100, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, WORKER, 9, 101, 200, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, WORKER, 9, 100, 201, NONCE_A, NONCE_B));
        variants.add(keys(Service.COORDINATOR, WORKER, 9, 100, 200, NONCE_B, NONCE_A));
        variants.add(keys(Service.COORDINATOR, WORKER, 9, 100, 200, NONCE_A, nonce(3)));
        variants.add(SessionKeys.derive(new JobToken("another-token-of-the-keys-test".getBytes(StandardCharsets.UTF_8)),
            HandshakeTranscript.of(Service.COORDINATOR, WORKER, 9, 100, 200, NONCE_A, NONCE_B)));

        final Set<String> proofs = new HashSet<>();
        for (final SessionKeys keys : variants)
        {
            proofs.add(Arrays.toString(keys.verifierProof()));
            proofs.add(Arrays.toString(keys.initiatorProof()));
        }
        assertEquals(2 * variants.size(), proofs.size(), "every variant has proofs of its own");
        for (int i = 1; i < variants.size(); i++)
        {
            assertFalse(variants.get(0).isInitiatorProof(variants.get(i).initiatorProof()), "variant " + i);
        }
    }

    @Test
    void aSealOpensOnlyWithTheSameSessionAndDirectionOnceAndInOrder()
    {
        final SessionKeys keys = keys(Service.COORDINATOR, WORKER, 9, 100, 200, NONCE_A, NONCE_B);
        final SessionKeys other = keys(Service.COORDINATOR, WORKER, 9, 100, 201, NONCE_A, NONCE_B);
        final MessageSealer initiatorSealer = keys.sealer(true);
        final UnsafeBuffer first = sealed(initiatorSealer, "first");
        final UnsafeBuffer second = sealed(initiatorSealer, "second");

        assertFalse(keys.opener(true).open(first, 0, first.capacity()), "not a message to the initiator");
        assertFalse(other.opener(false).open(first, 0, first.capacity()), "not a message of that session");

        final MessageOpener verifierOpener = keys.opener(false);
        assertTrue(verifierOpener.open(first, 0, first.capacity()));
        assertFalse(verifierOpener.open(first, 0, first.capacity()), "a replay");
        final UnsafeBuffer tampered = new UnsafeBuffer(second.byteArray().clone());
        tampered.putByte(0, (byte)'S');
        assertFalse(verifierOpener.open(tampered, 0, tampered.capacity()), "an altered message");
        assertTrue(verifierOpener.open(second, 0, second.capacity()));
        assertFalse(verifierOpener.open(first, 0, first.capacity()), "an older message after a newer one");
    }

    @Test
    void aMessageLargerThanTheMacsScratchIsSealedWholeAndOpensOnlyUnaltered()
    {
        final SessionKeys keys = keys(Service.COORDINATOR, WORKER, 9, 100, 200, NONCE_A, NONCE_B);
        final MessageSealer sealer = keys.sealer(true);
        final MessageOpener opener = keys.opener(false);
        final int length = 100_000;
        for (final int altered : new int[]{ 1024, length - 1 })
        {
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[length + MessageSealer.SEAL_LENGTH]);
            for (int i = 0; i < length; i++)
            {
                frame.putByte(i, (byte)(i * 31));
            }
            sealer.seal(frame, 0, length, frame, length);
            final UnsafeBuffer tampered = new UnsafeBuffer(frame.byteArray().clone());
            tampered.putByte(altered, (byte)(tampered.getByte(altered) + 1));
            assertFalse(opener.open(tampered, 0, tampered.capacity()), "altered at byte " + altered);
            assertTrue(opener.open(frame, 0, frame.capacity()), "the message as sealed");
        }
    }

    @Test
    void anOpenSessionHasNoSeal()
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[64]);
        assertFalse(MessageOpener.OPEN.isSealed());
        assertFalse(MessageOpener.OPEN.open(message, 0, 64));
        assertArrayEquals(new byte[64], message.byteArray());
    }

    private static UnsafeBuffer sealed(final MessageSealer sealer, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[bytes.length + MessageSealer.SEAL_LENGTH]);
        frame.putBytes(0, bytes);
        sealer.seal(frame, 0, bytes.length, frame, bytes.length);
        return frame;
    }

    private static SessionKeys keys(
        final Service service,
        final HandshakeIdentity identity,
        final long correlationId,
        final int initiatorSession,
        final int verifierSession,
        final byte[] initiatorNonce,
        final byte[] verifierNonce)
    {
        return SessionKeys.derive(TOKEN, HandshakeTranscript.of(
            service, identity, correlationId, initiatorSession, verifierSession, initiatorNonce, verifierNonce));
    }

    private static byte[] nonce(final int seed)
    {
        final byte[] nonce = new byte[SessionKeys.NONCE_LENGTH];
        Arrays.fill(nonce, (byte)seed);
        return nonce;
    }
}
