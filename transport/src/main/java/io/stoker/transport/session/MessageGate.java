package io.stoker.transport.session;

import io.stoker.codecs.ErrorCode;
import io.stoker.transport.wire.MessageValidator;
import io.stoker.transport.wire.Refusals;
import org.agrona.DirectBuffer;

/**
 * What every message received from the network passes before it reaches a handler: the
 * {@link MessageValidator}'s checks, and the session's. Handshake messages pass from anyone (their
 * handlers check them); any other message must come from a session the {@link SessionDirectory}
 * knows, with a seal that verifies when the session is sealed. A message that fails is refused through
 * {@link Refusals}: counted once, answered where possible, logged at a bounded rate.
 */
public final class MessageGate
{
    private final MessageValidator validator = new MessageValidator();
    private final SessionDirectory sessions;
    private final Refusals refusals;
    private final int strangersTemplateId;

    /**
     * @param sessions            who may send to this receiver.
     * @param refusals            counts, answers and logs what is refused.
     * @param strangersTemplateId a template, besides the handshake's, that is accepted unsealed from a
     *                            session not (yet) authenticated, e.g. the error response refusing a
     *                            handshake; -1 for none.
     */
    public MessageGate(final SessionDirectory sessions, final Refusals refusals, final int strangersTemplateId)
    {
        this.sessions = sessions;
        this.refusals = refusals;
        this.strangersTemplateId = strangersTemplateId;
    }

    /**
     * Check one whole message.
     *
     * @param sessionId the sender's Aeron session.
     * @return the length of the message to dispatch, its seal excluded, or -1 when it was refused.
     */
    public int admit(final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        final int templateId = validator.validateHeader(buffer, offset, length);
        if (templateId < 0)
        {
            refusals.refuse(sessionId, validator.failureCode(), validator.templateId(), validator.failureReason());
            return -1;
        }

        int messageLength = length;
        if (!MessageValidator.isHandshake(templateId))
        {
            final MessageOpener opener = sessions.opener(sessionId);
            if (null == opener)
            {
                if (templateId != strangersTemplateId)
                {
                    refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, templateId,
                        "the sender is not an authenticated session");
                    return -1;
                }
            }
            else if (opener.isSealed() && MessageValidator.isSealed(templateId))
            {
                if (!opener.open(buffer, offset, length))
                {
                    refusals.refuse(sessionId, ErrorCode.AUTHENTICATION_FAILED, templateId,
                        "seal does not verify: forged, altered, replayed or unsealed");
                    return -1;
                }
                messageLength = length - MessageSealer.SEAL_LENGTH;
            }
        }

        if (!validator.validateBody(buffer, offset, messageLength))
        {
            refusals.refuse(sessionId, validator.failureCode(), templateId, validator.failureReason());
            return -1;
        }
        return messageLength;
    }

    /**
     * @return the refusals of this receiver, for its handlers' own refusals.
     */
    public Refusals refusals()
    {
        return refusals;
    }
}
