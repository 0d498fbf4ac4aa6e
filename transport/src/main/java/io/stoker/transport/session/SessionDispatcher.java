package io.stoker.transport.session;

import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.ProofDecoder;
import org.agrona.DirectBuffer;

/**
 * Decodes the messages every session shares (the handshake and error responses) and hands them to a
 * {@link SessionListener}: the part of dispatch both planes' adapters have in common.
 */
public final class SessionDispatcher
{
    private final HelloDecoder hello = new HelloDecoder();
    private final ChallengeDecoder challenge = new ChallengeDecoder();
    private final ProofDecoder proof = new ProofDecoder();
    private final ErrorResponseDecoder errorResponse = new ErrorResponseDecoder();

    /**
     * @param templateId a template that passed the {@link MessageGate}.
     * @param offset     where the message's header starts.
     * @return true when it was one of the session's messages and went to the listener.
     */
    public boolean dispatch(
        final int templateId,
        final DirectBuffer buffer,
        final int offset,
        final int sessionId,
        final SessionListener listener)
    {
        final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        final int version = MessageHeaderDecoder.SCHEMA_VERSION;
        switch (templateId)
        {
            case HelloDecoder.TEMPLATE_ID ->
                listener.onHello(sessionId, hello.wrap(buffer, body, HelloDecoder.BLOCK_LENGTH, version));
            case ChallengeDecoder.TEMPLATE_ID ->
                listener.onChallenge(sessionId, challenge.wrap(buffer, body, ChallengeDecoder.BLOCK_LENGTH, version));
            case ProofDecoder.TEMPLATE_ID ->
                listener.onProof(sessionId, proof.wrap(buffer, body, ProofDecoder.BLOCK_LENGTH, version));
            case ErrorResponseDecoder.TEMPLATE_ID -> listener.onErrorResponse(
                sessionId, errorResponse.wrap(buffer, body, ErrorResponseDecoder.BLOCK_LENGTH, version));
            default ->
            {
                return false;
            }
        }
        return true;
    }
}
