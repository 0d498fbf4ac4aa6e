package io.stoker.transport.control;

import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
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
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisterDecoder;
import io.stoker.codecs.RegisteredDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Polls a subscription of Stoker messages (control plane, or the UDP data plane), validates every
 * message and dispatches it to a {@link ControlListener}.
 * <p>
 * Validation happens before any field reaches the listener: the header must be complete and of this
 * schema and a version not newer than ours, the template known, the root block at least as long as
 * ours, and every group and variable-length field must lie inside the message. Each message is decoded
 * through a view bounded to its own length, so a lying length field cannot read past it. A message
 * that fails is counted and reported to {@link ControlListener#onInvalid}; nothing is thrown.
 */
public final class ControlAdapter implements FragmentHandler, AutoCloseable
{
    private final Subscription subscription;
    private final ControlListener listener;
    private final AtomicCounter invalidMessages;
    private final FragmentAssembler assembler = new FragmentAssembler(this);
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final RegisterDecoder register = new RegisterDecoder();
    private final RegisteredDecoder registered = new RegisteredDecoder();
    private final HeartbeatDecoder heartbeat = new HeartbeatDecoder();
    private final LeaseExpiredDecoder leaseExpired = new LeaseExpiredDecoder();
    private final RegionAdvertisementDecoder regionAdvertisement = new RegionAdvertisementDecoder();
    private final JobSubmitDecoder jobSubmit = new JobSubmitDecoder();
    private final JobStartedDecoder jobStarted = new JobStartedDecoder();
    private final AssignmentDecoder assignment = new AssignmentDecoder();
    private final ChunkAckDecoder chunkAck = new ChunkAckDecoder();
    private final ChunkUnavailableDecoder chunkUnavailable = new ChunkUnavailableDecoder();
    private final EpochCompleteDecoder epochComplete = new EpochCompleteDecoder();
    private final JobCompleteDecoder jobComplete = new JobCompleteDecoder();
    private final ErrorResponseDecoder errorResponse = new ErrorResponseDecoder();
    private final ChallengeDecoder challenge = new ChallengeDecoder();
    private final DataConnectDecoder dataConnect = new DataConnectDecoder();
    private final DataConnectedDecoder dataConnected = new DataConnectedDecoder();
    private final ReadRequestDecoder readRequest = new ReadRequestDecoder();
    private final ReadDataDecoder readData = new ReadDataDecoder();
    private final ReadErrorDecoder readError = new ReadErrorDecoder();
    private final ManifestPartDecoder manifestPart = new ManifestPartDecoder();
    private final MessageDecoderFlyweight[] decoders = byTemplateId(
        register, registered, heartbeat, leaseExpired, regionAdvertisement, jobSubmit, jobStarted, assignment,
        chunkAck, chunkUnavailable, epochComplete, jobComplete, errorResponse, challenge, dataConnect, dataConnected,
        readRequest, readData, readError, manifestPart);

    /**
     * @param subscription    to poll; closed with this adapter.
     * @param listener        receives valid messages and reports of invalid ones.
     * @param invalidMessages counts messages that failed validation.
     */
    public ControlAdapter(
        final Subscription subscription, final ControlListener listener, final AtomicCounter invalidMessages)
    {
        this.subscription = subscription;
        this.listener = listener;
        this.invalidMessages = invalidMessages;
    }

    /**
     * Poll for messages, from the owning agent's duty cycle.
     *
     * @param fragmentLimit most fragments to read.
     * @return fragments read.
     */
    public int poll(final int fragmentLimit)
    {
        return subscription.poll(assembler, fragmentLimit);
    }

    /**
     * @return the subscription this adapter polls.
     */
    public Subscription subscription()
    {
        return subscription;
    }

    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header frameHeader)
    {
        onMessage(buffer, offset, length, frameHeader.sessionId());
    }

    /**
     * Validate and dispatch one complete message. Public so receivers of other transports reuse the validation.
     *
     * @param sessionId identifies the sender.
     */
    public void onMessage(final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            invalid(sessionId, ErrorCode.MALFORMED_MESSAGE, -1,
                "message of " + length + " bytes is shorter than the " + MessageHeaderDecoder.ENCODED_LENGTH +
                "-byte header");
            return;
        }

        view.wrap(buffer, offset, length);
        header.wrap(view, 0);
        final int templateId = header.templateId();
        final int schemaId = header.schemaId();
        final int version = header.version();
        if (schemaId != MessageHeaderDecoder.SCHEMA_ID)
        {
            invalid(sessionId, ErrorCode.UNKNOWN_SCHEMA, templateId,
                "schema id " + schemaId + " is not Stoker's " + MessageHeaderDecoder.SCHEMA_ID);
            return;
        }
        if (version > MessageHeaderDecoder.SCHEMA_VERSION || version < 1)
        {
            invalid(sessionId, ErrorCode.UNSUPPORTED_VERSION, templateId,
                "schema version " + version + " is not supported (this side speaks " +
                MessageHeaderDecoder.SCHEMA_VERSION + ")");
            return;
        }

        final MessageDecoderFlyweight decoder = templateId < decoders.length ? decoders[templateId] : null;
        if (null == decoder)
        {
            invalid(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "unknown message template " + templateId);
            return;
        }

        final int blockLength = header.blockLength();
        if (blockLength < decoder.sbeBlockLength())
        {
            invalid(sessionId, ErrorCode.MALFORMED_MESSAGE, templateId,
                "template " + templateId + " has a " + blockLength + "-byte block, expected at least " +
                decoder.sbeBlockLength());
            return;
        }

        final int messageLength;
        try
        {
            messageLength = MessageHeaderDecoder.ENCODED_LENGTH +
                decoder.wrap(view, MessageHeaderDecoder.ENCODED_LENGTH, blockLength, version).sbeDecodedLength();
        }
        catch (final IndexOutOfBoundsException ex)
        {
            invalid(sessionId, ErrorCode.MALFORMED_MESSAGE, templateId,
                "template " + templateId + " runs past the end of its " + length + "-byte message");
            return;
        }
        if (messageLength > length)
        {
            invalid(sessionId, ErrorCode.MALFORMED_MESSAGE, templateId,
                "template " + templateId + " needs " + messageLength + " bytes but the message has " + length);
            return;
        }

        dispatch(sessionId, templateId, buffer, offset, length);
    }

    private void dispatch(
        final int sessionId, final int templateId, final DirectBuffer buffer, final int offset, final int length)
    {
        switch (templateId)
        {
            case RegisterDecoder.TEMPLATE_ID -> listener.onRegister(sessionId, register);
            case RegisteredDecoder.TEMPLATE_ID -> listener.onRegistered(sessionId, registered);
            case HeartbeatDecoder.TEMPLATE_ID -> listener.onHeartbeat(sessionId, heartbeat);
            case LeaseExpiredDecoder.TEMPLATE_ID -> listener.onLeaseExpired(sessionId, leaseExpired);
            case RegionAdvertisementDecoder.TEMPLATE_ID ->
                listener.onRegionAdvertisement(sessionId, regionAdvertisement, buffer, offset, length);
            case JobSubmitDecoder.TEMPLATE_ID -> listener.onJobSubmit(sessionId, jobSubmit);
            case JobStartedDecoder.TEMPLATE_ID -> listener.onJobStarted(sessionId, jobStarted);
            case AssignmentDecoder.TEMPLATE_ID -> listener.onAssignment(sessionId, assignment);
            case ChunkAckDecoder.TEMPLATE_ID -> listener.onChunkAck(sessionId, chunkAck);
            case ChunkUnavailableDecoder.TEMPLATE_ID -> listener.onChunkUnavailable(sessionId, chunkUnavailable);
            case EpochCompleteDecoder.TEMPLATE_ID -> listener.onEpochComplete(sessionId, epochComplete);
            case JobCompleteDecoder.TEMPLATE_ID -> listener.onJobComplete(sessionId, jobComplete);
            case ErrorResponseDecoder.TEMPLATE_ID -> listener.onErrorResponse(sessionId, errorResponse);
            case ChallengeDecoder.TEMPLATE_ID -> listener.onChallenge(sessionId, challenge);
            case DataConnectDecoder.TEMPLATE_ID -> listener.onDataConnect(sessionId, dataConnect);
            case DataConnectedDecoder.TEMPLATE_ID -> listener.onDataConnected(sessionId, dataConnected);
            case ReadRequestDecoder.TEMPLATE_ID -> listener.onReadRequest(sessionId, readRequest);
            case ReadDataDecoder.TEMPLATE_ID -> listener.onReadData(sessionId, readData);
            case ReadErrorDecoder.TEMPLATE_ID -> listener.onReadError(sessionId, readError);
            case ManifestPartDecoder.TEMPLATE_ID ->
                listener.onManifestPart(sessionId, manifestPart, buffer, offset, length);
            default -> listener.onUnexpected(sessionId, templateId);
        }
    }

    public void close()
    {
        subscription.close();
    }

    private static MessageDecoderFlyweight[] byTemplateId(final MessageDecoderFlyweight... decoders)
    {
        int maxTemplateId = 0;
        for (final MessageDecoderFlyweight decoder : decoders)
        {
            maxTemplateId = Math.max(maxTemplateId, decoder.sbeTemplateId());
        }
        final MessageDecoderFlyweight[] table = new MessageDecoderFlyweight[maxTemplateId + 1];
        for (final MessageDecoderFlyweight decoder : decoders)
        {
            table[decoder.sbeTemplateId()] = decoder;
        }
        return table;
    }

    private void invalid(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
        invalidMessages.increment();
        listener.onInvalid(sessionId, code, templateId, reason);
    }
}
