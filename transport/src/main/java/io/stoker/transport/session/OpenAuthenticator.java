package io.stoker.transport.session;

import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ProofDecoder;

/**
 * Admits every session without a challenge: for a job without a token, such as everything in one
 * process over IPC. Its sessions carry no seals.
 */
public final class OpenAuthenticator implements Authenticator
{
    @Override
    public void onConnectedSession(final PendingSession session, final long nowNs)
    {
        session.authenticate(null);
    }

    @Override
    public void onProof(final PendingSession session, final ProofDecoder proof, final long nowNs)
    {
        session.reject(ErrorCode.AUTHENTICATION_FAILED, "a proof where no challenge was sent");
    }
}
