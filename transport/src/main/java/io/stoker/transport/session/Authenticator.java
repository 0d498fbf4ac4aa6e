package io.stoker.transport.session;

import io.stoker.codecs.ProofDecoder;

/**
 * Decides whether a pending session may open, on the verifier's side (the coordinator, a data server);
 * modelled on Aeron's {@code Authenticator}. It answers through the {@link PendingSession}: challenge
 * it, authenticate it, or reject it. Called from the owning agent's duty cycle.
 */
public interface Authenticator
{
    /**
     * The session's reply publication is connected: challenge it, or authenticate it at once.
     *
     * @param session the pending session.
     * @param nowNs   current time.
     */
    void onConnectedSession(PendingSession session, long nowNs);

    /**
     * The initiator answered the challenge.
     *
     * @param session the challenged session.
     * @param proof   the answer.
     * @param nowNs   current time.
     */
    void onProof(PendingSession session, ProofDecoder proof, long nowNs);

    /**
     * @param token   the job token, or null for a job without one.
     * @param service what the sessions are opened with.
     * @return a {@link TokenAuthenticator} for a token, else an {@link OpenAuthenticator}.
     */
    static Authenticator of(final JobToken token, final Service service)
    {
        return null == token ? new OpenAuthenticator() : new TokenAuthenticator(token, service);
    }
}
