package io.stoker.transport.session;

import java.security.SecureRandom;

/**
 * A session's keys, derived by both ends from the job token and the handshake's transcript: the
 * session key is HMAC(token, transcript); each proof and each direction's sealing key is an HMAC of a
 * distinct label under it. The verifier proves first; the initiator answers only a verifier that did.
 */
public final class SessionKeys
{
    /**
     * Bytes of a nonce.
     */
    public static final int NONCE_LENGTH = 32;

    /**
     * Bytes of a proof.
     */
    public static final int PROOF_LENGTH = Hmac.LENGTH;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] verifierProof;
    private final byte[] initiatorProof;
    private final byte[] initiatorToVerifier;
    private final byte[] verifierToInitiator;

    private SessionKeys(final byte[] sessionKey)
    {
        verifierProof = Hmac.derive(sessionKey, "verifier proof");
        initiatorProof = Hmac.derive(sessionKey, "initiator proof");
        initiatorToVerifier = Hmac.derive(sessionKey, "initiator to verifier");
        verifierToInitiator = Hmac.derive(sessionKey, "verifier to initiator");
    }

    static SessionKeys derive(final JobToken token, final byte[] transcript)
    {
        return new SessionKeys(token.hmac(transcript));
    }

    /**
     * Derive a session's keys as both ends of its handshake do.
     *
     * @param initiatorSessionId session id of the initiator's publication to the verifier.
     * @param verifierSessionId  session id of the verifier's publication to the initiator.
     * @return the keys.
     */
    public static SessionKeys derive(
        final JobToken token,
        final Service service,
        final HandshakeIdentity identity,
        final long correlationId,
        final int initiatorSessionId,
        final int verifierSessionId,
        final byte[] initiatorNonce,
        final byte[] verifierNonce)
    {
        return derive(token, HandshakeTranscript.of(
            service, identity, correlationId, initiatorSessionId, verifierSessionId, initiatorNonce, verifierNonce));
    }

    /**
     * @return a fresh random nonce.
     */
    public static byte[] newNonce()
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /**
     * @return a fresh random correlation id for a handshake attempt, so a stranger cannot guess what
     * the answers must echo.
     */
    public static long newCorrelationId()
    {
        return RANDOM.nextLong();
    }

    byte[] verifierProof()
    {
        return verifierProof.clone();
    }

    byte[] initiatorProof()
    {
        return initiatorProof.clone();
    }

    boolean isVerifierProof(final byte[] proof)
    {
        return proof.length == PROOF_LENGTH && Hmac.equal(verifierProof, 0, proof, 0, PROOF_LENGTH);
    }

    boolean isInitiatorProof(final byte[] proof)
    {
        return proof.length == PROOF_LENGTH && Hmac.equal(initiatorProof, 0, proof, 0, PROOF_LENGTH);
    }

    /**
     * @param initiator true for the side that sent the Hello.
     * @return the sealer of what that side sends.
     */
    public MessageSealer sealer(final boolean initiator)
    {
        return new MessageSealer(initiator ? initiatorToVerifier : verifierToInitiator);
    }

    /**
     * @param initiator true for the side that sent the Hello.
     * @return the opener of what that side receives.
     */
    public MessageOpener opener(final boolean initiator)
    {
        return new MessageOpener(initiator ? verifierToInitiator : initiatorToVerifier);
    }
}
