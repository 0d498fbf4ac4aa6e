package io.stoker.transport.udp;

import io.stoker.codecs.DataConnectedEncoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.ReadErrorEncoder;
import io.stoker.codecs.ReadRequestEncoder;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import org.agrona.ExpandableDirectByteBuffer;

/**
 * Encodes the UDP data plane's messages but read data, which the data server writes straight into
 * its publication's term buffer. Every method returns false only when the outbox is full.
 */
final class DataPlanePublisher
{
    private final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(2048);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final DataConnectedEncoder dataConnected = new DataConnectedEncoder();
    private final ReadRequestEncoder readRequest = new ReadRequestEncoder();
    private final ReadErrorEncoder readError = new ReadErrorEncoder();

    boolean dataConnected(final Outbox outbox, final long correlationId)
    {
        dataConnected.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId);
        return outbox.offer(buffer, 0, header.encodedLength() + dataConnected.encodedLength());
    }

    boolean readRequest(
        final Outbox outbox,
        final long requestId,
        final int regionId,
        final long regionOffset,
        final int length,
        final long registrationId)
    {
        readRequest.wrapAndApplyHeader(buffer, 0, header)
            .requestId(requestId)
            .regionId(regionId)
            .regionOffset(regionOffset)
            .length(length)
            .registrationId(registrationId);
        return outbox.offer(buffer, 0, header.encodedLength() + readRequest.encodedLength());
    }

    boolean readError(final Outbox outbox, final long requestId, final ErrorCode code, final String message)
    {
        readError.wrapAndApplyHeader(buffer, 0, header)
            .requestId(requestId)
            .code(code)
            .message(Quote.printable(message, MessageLimits.MAX_TEXT_LENGTH));
        return outbox.offer(buffer, 0, header.encodedLength() + readError.encodedLength());
    }
}
