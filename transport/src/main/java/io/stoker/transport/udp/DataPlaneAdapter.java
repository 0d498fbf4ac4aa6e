package io.stoker.transport.udp;

import io.aeron.Subscription;
import io.stoker.codecs.DataConnectedDecoder;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.ReadDataDecoder;
import io.stoker.codecs.ReadErrorDecoder;
import io.stoker.codecs.ReadRequestDecoder;
import io.stoker.transport.session.MessageGate;
import io.stoker.transport.session.MessageReceiver;
import io.stoker.transport.session.SessionDirectory;
import io.stoker.transport.session.SessionDispatcher;
import io.stoker.transport.wire.Refusals;
import org.agrona.DirectBuffer;

/**
 * Decodes the UDP data plane: polls a subscription through a {@link MessageReceiver} (validation,
 * sessions, seals) and dispatches each admitted message to a {@link DataPlaneListener}. Control
 * messages on a data subscription are unexpected.
 */
final class DataPlaneAdapter implements AutoCloseable
{
    private final MessageReceiver receiver;
    private final SessionDispatcher sessionDispatcher = new SessionDispatcher();
    private final DataPlaneListener listener;
    private final DataConnectedDecoder dataConnected = new DataConnectedDecoder();
    private final ReadRequestDecoder readRequest = new ReadRequestDecoder();
    private final ReadDataDecoder readData = new ReadDataDecoder();
    private final ReadErrorDecoder readError = new ReadErrorDecoder();

    /**
     * @param subscription        to poll; closed with this adapter.
     * @param sessions            which sessions may send what.
     * @param refusals            counts, answers and logs refused messages.
     * @param strangersTemplateId a template accepted unsealed from unauthenticated sessions, or -1.
     * @param listener            receives what passes.
     */
    DataPlaneAdapter(
        final Subscription subscription,
        final SessionDirectory sessions,
        final Refusals refusals,
        final int strangersTemplateId,
        final DataPlaneListener listener)
    {
        this.listener = listener;
        this.receiver = new MessageReceiver(
            subscription, new MessageGate(sessions, refusals, strangersTemplateId), sessions, this::dispatch);
    }

    int poll(final int fragmentLimit)
    {
        return receiver.poll(fragmentLimit);
    }

    /**
     * @return true while the subscription has an image of the session: a peer that closed or went silent past
     * the driver's liveness timeout has none.
     */
    boolean hasImage(final int sessionId)
    {
        return null != receiver.subscription().imageBySessionId(sessionId);
    }

    @Override
    public void close()
    {
        receiver.close();
    }

    private void dispatch(
        final int templateId, final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        if (sessionDispatcher.dispatch(templateId, buffer, offset, sessionId, listener))
        {
            return;
        }
        final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        final int version = MessageHeaderDecoder.SCHEMA_VERSION;
        switch (templateId)
        {
            case DataConnectedDecoder.TEMPLATE_ID -> listener.onDataConnected(
                sessionId, dataConnected.wrap(buffer, body, DataConnectedDecoder.BLOCK_LENGTH, version));
            case ReadRequestDecoder.TEMPLATE_ID -> listener.onReadRequest(
                sessionId, readRequest.wrap(buffer, body, ReadRequestDecoder.BLOCK_LENGTH, version));
            case ReadDataDecoder.TEMPLATE_ID ->
                listener.onReadData(sessionId, readData.wrap(buffer, body, ReadDataDecoder.BLOCK_LENGTH, version));
            case ReadErrorDecoder.TEMPLATE_ID ->
                listener.onReadError(sessionId, readError.wrap(buffer, body, ReadErrorDecoder.BLOCK_LENGTH, version));
            default -> listener.onUnexpected(sessionId, templateId);
        }
    }
}
