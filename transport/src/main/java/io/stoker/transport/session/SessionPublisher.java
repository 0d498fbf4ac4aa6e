package io.stoker.transport.session;

import io.stoker.codecs.ChallengeEncoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseEncoder;
import io.stoker.codecs.HelloEncoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.ProofEncoder;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import org.agrona.ExpandableDirectByteBuffer;

/**
 * Encodes the messages every session shares, on both planes: the handshake (Hello, Challenge, Proof),
 * which is never sealed, and ErrorResponse, which is sealed once the session is. Every method returns
 * false only when the outbox is full.
 */
public final class SessionPublisher
{
    private final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(1024);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final HelloEncoder hello = new HelloEncoder();
    private final ChallengeEncoder challenge = new ChallengeEncoder();
    private final ProofEncoder proof = new ProofEncoder();
    private final ErrorResponseEncoder errorResponse = new ErrorResponseEncoder();

    /**
     * Open a session.
     */
    public boolean hello(
        final Outbox outbox, final long correlationId, final HandshakeIdentity identity, final byte[] nonce)
    {
        hello.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .role(identity.role())
            .rank(identity.rank())
            .responseStreamId(identity.responseStreamId())
            .incarnation(identity.incarnation())
            .putNonce(nonce, 0, SessionKeys.NONCE_LENGTH);
        hello.transports().clear()
            .local(TransportKind.LOCAL.isIn(identity.transports()))
            .udp(TransportKind.UDP.isIn(identity.transports()))
            .rdma(TransportKind.RDMA.isIn(identity.transports()));
        hello.hostId(identity.hostId()).responseChannel(identity.responseChannel()).jobName(identity.jobName());
        return outbox.offerUnsealed(buffer, 0, header.encodedLength() + hello.encodedLength());
    }

    /**
     * The verifier's nonce and proof.
     */
    public boolean challenge(
        final Outbox outbox, final long correlationId, final byte[] nonce, final byte[] verifierProof)
    {
        challenge.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .putNonce(nonce, 0, SessionKeys.NONCE_LENGTH)
            .putProof(verifierProof, 0, SessionKeys.PROOF_LENGTH);
        return outbox.offerUnsealed(buffer, 0, header.encodedLength() + challenge.encodedLength());
    }

    /**
     * The initiator's proof.
     */
    public boolean proof(final Outbox outbox, final long correlationId, final byte[] initiatorProof)
    {
        proof.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .putProof(initiatorProof, 0, SessionKeys.PROOF_LENGTH);
        return outbox.offerUnsealed(buffer, 0, header.encodedLength() + proof.encodedLength());
    }

    /**
     * Why a message was refused; the text is made printable and cut to the field's bound.
     */
    public boolean errorResponse(
        final Outbox outbox,
        final long correlationId,
        final ErrorCode code,
        final int offendingTemplateId,
        final String message)
    {
        errorResponse.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .code(code)
            .offendingTemplateId(Math.max(0, offendingTemplateId))
            .message(Quote.printable(message, MessageLimits.MAX_TEXT_LENGTH));
        return outbox.offer(buffer, 0, header.encodedLength() + errorResponse.encodedLength());
    }
}
