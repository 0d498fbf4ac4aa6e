package io.stoker.transport.session;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The proof a worker sends on a new RDMA connection: it verifies for the server it was made for, under the job's
 * token, and for nothing else; a byte changed anywhere, another token, another server or a short proof is refused.
 */
class RdmaConnectProofTest
{
    private static final JobToken TOKEN = token("the job token of this test, 32 b");
    private static final JobToken OTHER = token("another job's token, also 32 byt");
    private static final String SERVER = "10.0.2.15:41000";

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);

    private static JobToken token(final String secret)
    {
        return new JobToken(secret.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aProofVerifiesForItsServerUnderTheJobTokenAndNamesItsClaims()
    {
        RdmaConnectProof.write(TOKEN, SERVER, 3, 0x1234_5678_9abc_def0L, buffer, 8);

        assertNull(RdmaConnectProof.verify(TOKEN, SERVER, buffer, 8, RdmaConnectProof.LENGTH));
        assertEquals(3, RdmaConnectProof.rank(buffer, 8));
        assertEquals(0x1234_5678_9abc_def0L, RdmaConnectProof.registrationId(buffer, 8));
    }

    @Test
    void anotherTokenAnotherServerOrAnyChangedByteIsRefused()
    {
        RdmaConnectProof.write(TOKEN, SERVER, 3, 42, buffer, 0);
        assertNull(RdmaConnectProof.verify(TOKEN, SERVER, buffer, 0, RdmaConnectProof.LENGTH), "positive control");

        assertEquals("its MAC does not verify under the job token",
            RdmaConnectProof.verify(OTHER, SERVER, buffer, 0, RdmaConnectProof.LENGTH));
        assertEquals("its MAC does not verify under the job token",
            RdmaConnectProof.verify(TOKEN, "10.0.2.16:41000", buffer, 0, RdmaConnectProof.LENGTH));
        assertEquals("its MAC does not verify under the job token",
            RdmaConnectProof.verify(null, SERVER, buffer, 0, RdmaConnectProof.LENGTH));
        for (int i = 0; i < RdmaConnectProof.LENGTH; i++)
        {
            final byte original = buffer.getByte(i);
            buffer.putByte(i, (byte)(original ^ 1));
            final String refusal = RdmaConnectProof.verify(TOKEN, SERVER, buffer, 0, RdmaConnectProof.LENGTH);
            assertEquals(i < 4 ? "not a Stoker rdma proof" : "its MAC does not verify under the job token", refusal,
                "byte " + i);
            buffer.putByte(i, original);
        }
        assertEquals("a proof of 47 bytes, not 48", RdmaConnectProof.verify(TOKEN, SERVER, buffer, 0, 47));
        assertEquals("a proof of 0 bytes, not 48", RdmaConnectProof.verify(TOKEN, SERVER, buffer, 0, 0));
    }

    @Test
    void withoutATokenOnlyTheClaimsAreReadAndAProofMadeWithATokenIsRefused()
    {
        RdmaConnectProof.write(null, SERVER, 1, 7, buffer, 0);
        assertNull(RdmaConnectProof.verify(null, SERVER, buffer, 0, RdmaConnectProof.LENGTH));
        assertEquals(7, RdmaConnectProof.registrationId(buffer, 0));
        assertEquals("its MAC does not verify under the job token",
            RdmaConnectProof.verify(TOKEN, SERVER, buffer, 0, RdmaConnectProof.LENGTH));
    }
}
