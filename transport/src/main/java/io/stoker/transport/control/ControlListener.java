package io.stoker.transport.control;

import io.stoker.codecs.AssignmentDecoder;
import io.stoker.codecs.ChunkDescriptorsDecoder;
import io.stoker.codecs.ChunkUnavailableDecoder;
import io.stoker.codecs.EpochCompleteDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobCompleteDecoder;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.JobServingDecoder;
import io.stoker.codecs.JobSubmitDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.DatasetLayoutDecoder;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.StepAckAnswerDecoder;
import io.stoker.codecs.StepAckDecoder;
import io.stoker.codecs.WorkerFencedDecoder;
import io.stoker.transport.session.SessionListener;
import org.agrona.DirectBuffer;

/**
 * Receives the control messages a {@link ControlAdapter} admitted: valid, and from a session allowed
 * to send them. Each role implements the messages it expects; anything else arrives at
 * {@link #onUnexpected(int, int)}.
 * <p>
 * Decoders are flyweights over the receive buffer: valid only during the call.
 * {@code sessionId} identifies the sender's publication.
 */
public interface ControlListener extends SessionListener
{
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
     * The coordinator says a worker's lease ended: a data server revokes what that registration could read with.
     */
    default void onWorkerFenced(final int sessionId, final WorkerFencedDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    /**
     * The coordinator says a job started with a weight, or ended (weight 0): a data server schedules the jobs'
     * reads by their weights.
     */
    default void onJobServing(final int sessionId, final JobServingDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    /**
     * @param message the whole encoded message, its seal excluded, for relaying it unchanged.
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
     * @param message the whole encoded message, its seal excluded, for relaying it unchanged.
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

    default void onDatasetLayout(final int sessionId, final DatasetLayoutDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onChunkDescriptors(final int sessionId, final ChunkDescriptorsDecoder decoder)
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

    default void onStepAck(final int sessionId, final StepAckDecoder decoder)
    {
        onUnexpected(sessionId, decoder.sbeTemplateId());
    }

    default void onStepAckAnswer(final int sessionId, final StepAckAnswerDecoder decoder)
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
}
