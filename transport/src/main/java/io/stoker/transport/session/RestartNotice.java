package io.stoker.transport.session;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The proof in a restarted coordinator's notice to a member of its previous incarnation ("unknown session:
 * register again"): the notice comes unsealed from a session the member does not know, so it carries, in place
 * of its correlation id, an HMAC under the job token of the member's registration (its handshake's correlation id
 * and its publication's session id). Only a holder of the token can make it, and it is void once the member has
 * registered again, so a replayed or forged notice cannot make a member drop a live session. Without a token
 * (a one-host run that asks for none) it is the registration's correlation id itself.
 */
public final class RestartNotice
{
    private static final byte[] LABEL = "stoker coordinator restarted".getBytes(StandardCharsets.US_ASCII);

    private RestartNotice()
    {
    }

    /**
     * @param token                    the job token, or null when the coordinator asks for none.
     * @param registrationCorrelationId the correlation id of the handshake that registered the member.
     * @param memberSessionId          the session id of the member's publication to the coordinator.
     * @return the value the notice carries as its correlation id.
     */
    public static long proof(final JobToken token, final long registrationCorrelationId, final int memberSessionId)
    {
        if (null == token)
        {
            return registrationCorrelationId;
        }
        final byte[] message = ByteBuffer.allocate(LABEL.length + Long.BYTES + Integer.BYTES)
            .put(LABEL).putLong(registrationCorrelationId).putInt(memberSessionId).array();
        return ByteBuffer.wrap(token.hmac(message)).getLong();
    }
}
