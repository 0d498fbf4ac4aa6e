package io.stoker.transport.session;

import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ProofDecoder;

/**
 * Admits a session that proves the job token: the verifier sends a fresh nonce with its own proof
 * over the session's transcript ({@link HandshakeTranscript}), and the initiator must answer with
 * its proof over the same transcript. The session is then sealed with keys both derived.
 */
public final class TokenAuthenticator implements Authenticator
{
    private final JobToken token;
    private final Service service;
    private final byte[] proof = new byte[SessionKeys.PROOF_LENGTH];

    /**
     * @param token   the job's token.
     * @param service what the sessions are opened with.
     */
    public TokenAuthenticator(final JobToken token, final Service service)
    {
        this.token = token;
        this.service = service;
    }

    @Override
    public void onConnectedSession(final PendingSession session, final long nowNs)
    {
        final byte[] verifierNonce = SessionKeys.newNonce();
        final SessionKeys keys = SessionKeys.derive(token, HandshakeTranscript.of(
            service, session.identity(), session.correlationId(), session.sessionId(), session.verifierSessionId(),
            session.initiatorNonce(), verifierNonce));
        session.challenge(verifierNonce, keys);
    }

    @Override
    public void onProof(final PendingSession session, final ProofDecoder decoder, final long nowNs)
    {
        decoder.getProof(proof, 0, proof.length);
        if (session.keys().isInitiatorProof(proof))
        {
            session.authenticate(session.keys());
        }
        else
        {
            session.reject(ErrorCode.AUTHENTICATION_FAILED, "proof of the job token does not verify");
        }
    }
}
