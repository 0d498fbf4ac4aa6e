package io.stoker.transport.control;

import io.aeron.Subscription;
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
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.StepAckAnswerDecoder;
import io.stoker.codecs.StepAckDecoder;
import io.stoker.codecs.WorkerFencedDecoder;
import io.stoker.transport.session.MessageGate;
import io.stoker.transport.session.MessageReceiver;
import io.stoker.transport.session.SessionDirectory;
import io.stoker.transport.session.SessionDispatcher;
import io.stoker.transport.wire.Refusals;
import org.agrona.DirectBuffer;

/**
 * Decodes the control protocol: polls a subscription through a {@link MessageReceiver} (validation,
 * sessions, seals) and dispatches each admitted message to a {@link ControlListener}. Data-plane
 * messages on a control subscription are unexpected.
 */
public final class ControlAdapter implements AutoCloseable
{
    private final MessageReceiver receiver;
    private final SessionDispatcher sessionDispatcher = new SessionDispatcher();
    private final ControlListener listener;
    private final RegisteredDecoder registered = new RegisteredDecoder();
    private final HeartbeatDecoder heartbeat = new HeartbeatDecoder();
    private final LeaseExpiredDecoder leaseExpired = new LeaseExpiredDecoder();
    private final WorkerFencedDecoder workerFenced = new WorkerFencedDecoder();
    private final RegionAdvertisementDecoder regionAdvertisement = new RegionAdvertisementDecoder();
    private final JobSubmitDecoder jobSubmit = new JobSubmitDecoder();
    private final JobServingDecoder jobServing = new JobServingDecoder();
    private final JobStartedDecoder jobStarted = new JobStartedDecoder();
    private final AssignmentDecoder assignment = new AssignmentDecoder();
    private final StepAckDecoder stepAck = new StepAckDecoder();
    private final StepAckAnswerDecoder stepAckAnswer = new StepAckAnswerDecoder();
    private final ChunkUnavailableDecoder chunkUnavailable = new ChunkUnavailableDecoder();
    private final EpochCompleteDecoder epochComplete = new EpochCompleteDecoder();
    private final JobCompleteDecoder jobComplete = new JobCompleteDecoder();
    private final ManifestPartDecoder manifestPart = new ManifestPartDecoder();
    private final DatasetLayoutDecoder datasetLayout = new DatasetLayoutDecoder();
    private final ChunkDescriptorsDecoder chunkDescriptors = new ChunkDescriptorsDecoder();

    /**
     * @param subscription        to poll; closed with this adapter; null when fed by {@link #onMessage}.
     * @param sessions            which sessions may send what.
     * @param refusals            counts, answers and logs refused messages.
     * @param strangersTemplateId a template accepted unsealed from unauthenticated sessions, or -1.
     * @param listener            receives what passes.
     */
    public ControlAdapter(
        final Subscription subscription,
        final SessionDirectory sessions,
        final Refusals refusals,
        final int strangersTemplateId,
        final ControlListener listener)
    {
        this.listener = listener;
        this.receiver = new MessageReceiver(
            subscription, new MessageGate(sessions, refusals, strangersTemplateId), sessions, this::dispatch);
    }

    /**
     * Poll for messages, from the owning agent's duty cycle.
     *
     * @param fragmentLimit most fragments to read.
     * @return fragments read.
     */
    public int poll(final int fragmentLimit)
    {
        return receiver.poll(fragmentLimit);
    }

    /**
     * @return the subscription this adapter polls.
     */
    public Subscription subscription()
    {
        return receiver.subscription();
    }

    /**
     * Check and dispatch one whole message, as a fragment of the subscription would be.
     */
    public void onMessage(final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        receiver.onMessage(buffer, offset, length, sessionId);
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
            case RegisteredDecoder.TEMPLATE_ID -> listener.onRegistered(
                sessionId, registered.wrap(buffer, body, RegisteredDecoder.BLOCK_LENGTH, version));
            case HeartbeatDecoder.TEMPLATE_ID ->
                listener.onHeartbeat(sessionId, heartbeat.wrap(buffer, body, HeartbeatDecoder.BLOCK_LENGTH, version));
            case LeaseExpiredDecoder.TEMPLATE_ID -> listener.onLeaseExpired(
                sessionId, leaseExpired.wrap(buffer, body, LeaseExpiredDecoder.BLOCK_LENGTH, version));
            case WorkerFencedDecoder.TEMPLATE_ID -> listener.onWorkerFenced(
                sessionId, workerFenced.wrap(buffer, body, WorkerFencedDecoder.BLOCK_LENGTH, version));
            case JobServingDecoder.TEMPLATE_ID -> listener.onJobServing(
                sessionId, jobServing.wrap(buffer, body, JobServingDecoder.BLOCK_LENGTH, version));
            case RegionAdvertisementDecoder.TEMPLATE_ID -> listener.onRegionAdvertisement(sessionId,
                regionAdvertisement.wrap(buffer, body, RegionAdvertisementDecoder.BLOCK_LENGTH, version),
                buffer, offset, length);
            case JobSubmitDecoder.TEMPLATE_ID ->
                listener.onJobSubmit(sessionId, jobSubmit.wrap(buffer, body, JobSubmitDecoder.BLOCK_LENGTH, version));
            case JobStartedDecoder.TEMPLATE_ID -> listener.onJobStarted(
                sessionId, jobStarted.wrap(buffer, body, JobStartedDecoder.BLOCK_LENGTH, version));
            case AssignmentDecoder.TEMPLATE_ID -> listener.onAssignment(
                sessionId, assignment.wrap(buffer, body, AssignmentDecoder.BLOCK_LENGTH, version));
            case StepAckDecoder.TEMPLATE_ID ->
                listener.onStepAck(sessionId, stepAck.wrap(buffer, body, StepAckDecoder.BLOCK_LENGTH, version));
            case StepAckAnswerDecoder.TEMPLATE_ID -> listener.onStepAckAnswer(
                sessionId, stepAckAnswer.wrap(buffer, body, StepAckAnswerDecoder.BLOCK_LENGTH, version));
            case ChunkUnavailableDecoder.TEMPLATE_ID -> listener.onChunkUnavailable(
                sessionId, chunkUnavailable.wrap(buffer, body, ChunkUnavailableDecoder.BLOCK_LENGTH, version));
            case EpochCompleteDecoder.TEMPLATE_ID -> listener.onEpochComplete(
                sessionId, epochComplete.wrap(buffer, body, EpochCompleteDecoder.BLOCK_LENGTH, version));
            case JobCompleteDecoder.TEMPLATE_ID -> listener.onJobComplete(
                sessionId, jobComplete.wrap(buffer, body, JobCompleteDecoder.BLOCK_LENGTH, version));
            case ManifestPartDecoder.TEMPLATE_ID -> listener.onManifestPart(sessionId,
                manifestPart.wrap(buffer, body, ManifestPartDecoder.BLOCK_LENGTH, version), buffer, offset, length);
            case DatasetLayoutDecoder.TEMPLATE_ID -> listener.onDatasetLayout(
                sessionId, datasetLayout.wrap(buffer, body, DatasetLayoutDecoder.BLOCK_LENGTH, version));
            case ChunkDescriptorsDecoder.TEMPLATE_ID -> listener.onChunkDescriptors(
                sessionId, chunkDescriptors.wrap(buffer, body, ChunkDescriptorsDecoder.BLOCK_LENGTH, version));
            default -> listener.onUnexpected(sessionId, templateId);
        }
    }
}
