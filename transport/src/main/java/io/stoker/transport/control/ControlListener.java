package io.stoker.transport.control;

import io.stoker.codecs.AssignmentDecoder;
import io.stoker.codecs.ChunkAckDecoder;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.DataConnectDecoder;
import io.stoker.codecs.DataConnectedDecoder;
import io.stoker.codecs.ReadDataDecoder;
import io.stoker.codecs.ReadErrorDecoder;
import io.stoker.codecs.ReadRequestDecoder;
import io.stoker.codecs.ChunkUnavailableDecoder;
import io.stoker.codecs.EpochCompleteDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobCompleteDecoder;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.JobSubmitDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisterDecoder;
import io.stoker.codecs.RegisteredDecoder;
import org.agrona.DirectBuffer;

/**
 * Receives the validated control messages a {@link ControlAdapter} decodes. Each role implements
 * the messages it expects; anything else arrives at {@link #onUnexpected(int, int)}.
 * <p>
 * Decoders are flyweights over the receive buffer: valid only during the call.
 * {@code sessionId} identifies the sender's publication.
 */
public interface ControlListener
{
    default void onRegister(final int sessionId, final RegisterDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onRegistered(final int sessionId, final RegisteredDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    /**
     * @param message the whole encoded message, for relaying it unchanged.
     */
    default void onRegionAdvertisement(
        final int sessionId,
        final RegionAdvertisementDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    /**
     * @param message the whole encoded message, for relaying it unchanged.
     */
    default void onManifestPart(
        final int sessionId,
        final ManifestPartDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onJobSubmit(final int sessionId, final JobSubmitDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onJobStarted(final int sessionId, final JobStartedDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onAssignment(final int sessionId, final AssignmentDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onChunkAck(final int sessionId, final ChunkAckDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onChunkUnavailable(final int sessionId, final ChunkUnavailableDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onEpochComplete(final int sessionId, final EpochCompleteDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onJobComplete(final int sessionId, final JobCompleteDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onChallenge(final int sessionId, final ChallengeDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onDataConnect(final int sessionId, final DataConnectDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

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

    /**
     * A well-formed message this role does not handle.
     */
    default void onUnexpected(final int sessionId, final int templateId)
    {
        onInvalid(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "unexpected message template " + templateId);
    }

    /**
     * A message that failed validation: truncated, of another schema or version, or unknown.
     * The adapter has already counted it; the listener answers the sender where it knows it.
     *
     * @param code       why it was refused.
     * @param templateId the template id the header claimed, or -1 when even the header was short.
     * @param reason     a one-line description for the error reply and the log.
     */
    void onInvalid(int sessionId, ErrorCode code, int templateId, String reason);
}
