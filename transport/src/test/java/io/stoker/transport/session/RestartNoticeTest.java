package io.stoker.transport.session;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A restart notice's proof is bound to the token and to one registration: another token, another handshake
 * (the member registered again) or another session gives another proof, so a notice cannot be forged without the
 * token nor replayed against a later registration.
 */
class RestartNoticeTest
{
    private static final JobToken TOKEN = new JobToken("a-restart-notice-test-token".getBytes(StandardCharsets.UTF_8));
    private static final JobToken OTHER = new JobToken("another-restart-notice-token".getBytes(StandardCharsets.UTF_8));

    @Test
    void theProofIsBoundToTheTokenTheRegistrationAndTheSession()
    {
        final long proof = RestartNotice.proof(TOKEN, 0x1234_5678_9abcL, 42);
        assertEquals(proof, RestartNotice.proof(TOKEN, 0x1234_5678_9abcL, 42), "the member computes the same");
        assertNotEquals(proof, RestartNotice.proof(OTHER, 0x1234_5678_9abcL, 42), "another token");
        assertNotEquals(proof, RestartNotice.proof(TOKEN, 0x1234_5678_9abdL, 42), "a later registration");
        assertNotEquals(proof, RestartNotice.proof(TOKEN, 0x1234_5678_9abcL, 43), "another session");
        assertNotEquals(0x1234_5678_9abcL, proof, "not the correlation id, which the Hello shows in the clear");
    }
}
