package io.stoker.transport.udp;

import io.stoker.codecs.DataConnectedDecoder;
import io.stoker.codecs.ReadDataDecoder;
import io.stoker.codecs.ReadErrorDecoder;
import io.stoker.codecs.ReadRequestDecoder;
import io.stoker.transport.session.SessionListener;

/**
 * Receives the UDP data plane's messages a {@link DataPlaneAdapter} admitted: the data server takes
 * read requests, a worker's reader takes the acceptance of its connection, read data and read errors.
 * Decoders are flyweights over the receive buffer: valid only during the call.
 */
public interface DataPlaneListener extends SessionListener
{
    default void onDataConnected(final int sessionId, final DataConnectedDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onReadRequest(final int sessionId, final ReadRequestDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onReadData(final int sessionId, final ReadDataDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onReadError(final int sessionId, final ReadErrorDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }
}
