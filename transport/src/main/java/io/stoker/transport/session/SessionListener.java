package io.stoker.transport.session;

import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.ProofDecoder;

/**
 * Receives the messages every session shares, once they passed the {@link MessageGate}: the handshake
 * and error responses. A role implements those it expects; the others arrive at
 * {@link #onUnexpected(int, int)}, which the role refuses through its {@link io.stoker.transport.wire.Refusals}.
 * <p>
 * Decoders are flyweights over the receive buffer: valid only during the call.
 */
public interface SessionListener
{
    /**
     * A Hello opens a session with this side, the verifier.
     */
    default void onHello(final int sessionId, final HelloDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    /**
     * A Challenge answers this side's Hello.
     */
    default void onChallenge(final int sessionId, final ChallengeDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    /**
     * A Proof answers this side's Challenge.
     */
    default void onProof(final int sessionId, final ProofDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    /**
     * The peer refused something of this side's.
     */
    default void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    /**
     * A well-formed message this role does not take.
     *
     * @param sessionId  the sender's session.
     * @param templateId the message's template.
     */
    void onUnexpected(int sessionId, int templateId);
}
