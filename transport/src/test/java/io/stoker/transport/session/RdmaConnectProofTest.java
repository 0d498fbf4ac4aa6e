package io.stoker.transport.session;

import io.stoker.transport.wire.JobNames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The proof a worker sends on a new RDMA connection: it verifies for the server and the connection's challenge it
 * was made for, under the token of the job it names (derived from the cluster token the server holds), and for
 * nothing else; a proof replayed on a connection with another challenge, a byte changed anywhere, another token,
 * another server, a job's token claiming another job, a bad or overlong job name, or a short proof is refused.
 */
class RdmaConnectProofTest
{
    private static final JobToken TOKEN = token("the job token of this test, 32 b");
    private static final JobToken OTHER = token("another job's token, also 32 byt");
    private static final String SERVER = "10.0.2.15:41000";
    private static final int DEFAULT_LENGTH = RdmaConnectProof.length(JobNames.DEFAULT);
    private static final String NOT_VERIFIED = "its MAC does not verify under the token of job '' and this " +
        "connection's challenge";

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RdmaConnectProof.MAX_LENGTH + 8]);
    private final UnsafeBuffer nonce = nonce(0x5a);

    private static JobToken token(final String secret)
    {
        return new JobToken(secret.getBytes(StandardCharsets.US_ASCII));
    }

    private static UnsafeBuffer nonce(final int seed)
    {
        final UnsafeBuffer nonce = new UnsafeBuffer(new byte[4 + RdmaConnectProof.NONCE_LENGTH]);
        for (int i = 0; i < RdmaConnectProof.NONCE_LENGTH; i++)
        {
            nonce.putByte(4 + i, (byte)(seed + 31 * i));
        }
        return nonce;
    }

    @Test
    void aProofVerifiesForItsServerAndChallengeUnderTheJobTokenAndNamesItsClaims()
    {
        assertEquals(DEFAULT_LENGTH,
            RdmaConnectProof.write(TOKEN, "", SERVER, nonce, 4, 3, 0x1234_5678_9abc_def0L, buffer, 8));

        assertNull(RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 8, DEFAULT_LENGTH));
        assertEquals(3, RdmaConnectProof.rank(buffer, 8));
        assertEquals(0x1234_5678_9abc_def0L, RdmaConnectProof.registrationId(buffer, 8));
        assertEquals("", RdmaConnectProof.jobName(buffer, 8, DEFAULT_LENGTH));
    }

    /**
     * A worker of a named job proves with its job's token, which the server derives from the cluster token: the
     * proof verifies (the positive control) and names the job; the same job token claiming another job, or the
     * default one, is refused, and so is the cluster token's proof of the job (the derived token is not the cluster's).
     */
    @Test
    void aJobsTokenProvesThatJobAndNoOther()
    {
        final JobToken teamA = TOKEN.forJob("team-a");
        final int length = RdmaConnectProof.write(teamA, "team-a", SERVER, nonce, 4, 2, 77, buffer, 0);
        assertEquals(RdmaConnectProof.HEADER_LENGTH + 6, length);
        assertNull(RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, length), "positive control");
        assertEquals("team-a", RdmaConnectProof.jobName(buffer, 0, length));

        final int asB = RdmaConnectProof.write(teamA, "team-b", SERVER, nonce, 4, 2, 77, buffer, 0);
        assertEquals("its MAC does not verify under the token of job 'team-b' and this connection's challenge",
            RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, asB));
        final int asDefault = RdmaConnectProof.write(teamA, "", SERVER, nonce, 4, 2, 77, buffer, 0);
        assertEquals(NOT_VERIFIED, RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, asDefault));
        final int clusters = RdmaConnectProof.write(TOKEN, "team-a", SERVER, nonce, 4, 2, 77, buffer, 0);
        assertEquals("its MAC does not verify under the token of job 'team-a' and this connection's challenge",
            RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, clusters));
    }

    @Test
    void aJobNameOutsideItsAlphabetOrLengthIsRefusedBeforeAnyMac()
    {
        final int length = RdmaConnectProof.write(TOKEN.forJob("ab"), "ab", SERVER, nonce, 4, 2, 77, buffer, 0);
        buffer.putByte(RdmaConnectProof.HEADER_LENGTH + 1, (byte)'/');
        assertEquals("its job name holds byte 0x2f, not one of [A-Za-z0-9._-]",
            RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, length));
        assertEquals("a proof of 52 bytes naming a job of 2",
            RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, length + 1));
        buffer.putByte(RdmaConnectProof.HEADER_LENGTH - 1, (byte)255);
        assertEquals("a proof of " + (RdmaConnectProof.MAX_LENGTH + 1) + " bytes, not 49 to 113",
            RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, RdmaConnectProof.MAX_LENGTH + 1));
    }

    /**
     * A proof captured on one connection, replayed on the next: that connection's challenge is another, so the proof
     * is refused there, while the proof made for the new challenge (the positive control) verifies.
     */
    @Test
    void aProofReplayedOnAConnectionWithAnotherChallengeIsRefusedAndAFreshOneVerifies()
    {
        RdmaConnectProof.write(TOKEN, "", SERVER, nonce, 4, 3, 42, buffer, 0);
        final UnsafeBuffer nextChallenge = nonce(0x5b);

        assertEquals(NOT_VERIFIED, RdmaConnectProof.verify(TOKEN, SERVER, nextChallenge, 4, buffer, 0, DEFAULT_LENGTH));
        for (int i = 0; i < RdmaConnectProof.NONCE_LENGTH; i++)
        {
            final UnsafeBuffer changed = nonce(0x5a);
            changed.putByte(4 + i, (byte)(changed.getByte(4 + i) ^ 0x80));
            assertEquals(NOT_VERIFIED, RdmaConnectProof.verify(TOKEN, SERVER, changed, 4, buffer, 0, DEFAULT_LENGTH),
                "nonce byte " + i);
        }

        RdmaConnectProof.write(TOKEN, "", SERVER, nextChallenge, 4, 3, 42, buffer, 0);
        assertNull(RdmaConnectProof.verify(TOKEN, SERVER, nextChallenge, 4, buffer, 0, DEFAULT_LENGTH),
            "positive control: the proof over the connection's own challenge");
    }

    @Test
    void anotherTokenAnotherServerOrAnyChangedByteIsRefused()
    {
        RdmaConnectProof.write(TOKEN, "", SERVER, nonce, 4, 3, 42, buffer, 0);
        assertNull(RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, DEFAULT_LENGTH), "positive control");

        assertEquals(NOT_VERIFIED, RdmaConnectProof.verify(OTHER, SERVER, nonce, 4, buffer, 0, DEFAULT_LENGTH));
        assertEquals(NOT_VERIFIED,
            RdmaConnectProof.verify(TOKEN, "10.0.2.16:41000", nonce, 4, buffer, 0, DEFAULT_LENGTH));
        assertEquals(NOT_VERIFIED, RdmaConnectProof.verify(null, SERVER, nonce, 4, buffer, 0, DEFAULT_LENGTH));
        for (int i = 0; i < DEFAULT_LENGTH - 1; i++)
        {
            final byte original = buffer.getByte(i);
            buffer.putByte(i, (byte)(original ^ 1));
            final String refusal = RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, DEFAULT_LENGTH);
            assertEquals(i < 4 ? "not a Stoker rdma proof (of this version)" : NOT_VERIFIED, refusal, "byte " + i);
            buffer.putByte(i, original);
        }
        assertEquals("a proof of 48 bytes, not 49 to 113",
            RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, 48));
        assertEquals("a proof of 0 bytes, not 49 to 113",
            RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, 0));
    }

    @Test
    void withoutATokenOnlyTheClaimsAreReadAndAProofMadeWithATokenIsRefused()
    {
        RdmaConnectProof.write(null, "", SERVER, nonce, 4, 1, 7, buffer, 0);
        assertNull(RdmaConnectProof.verify(null, SERVER, nonce, 4, buffer, 0, DEFAULT_LENGTH));
        assertEquals(7, RdmaConnectProof.registrationId(buffer, 0));
        assertEquals(NOT_VERIFIED, RdmaConnectProof.verify(TOKEN, SERVER, nonce, 4, buffer, 0, DEFAULT_LENGTH));
    }
}
