package io.stoker.transport.control;

import io.stoker.codecs.AssignmentEncoder;
import io.stoker.codecs.ChallengeEncoder;
import io.stoker.codecs.DataConnectEncoder;
import io.stoker.codecs.DataConnectedEncoder;
import io.stoker.codecs.ReadErrorEncoder;
import io.stoker.codecs.ReadRequestEncoder;
import io.stoker.codecs.ChunkAckEncoder;
import io.stoker.codecs.ChunkUnavailableEncoder;
import io.stoker.codecs.EpochCompleteEncoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseEncoder;
import io.stoker.codecs.HeartbeatEncoder;
import io.stoker.codecs.JobCompleteEncoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobStartedEncoder;
import io.stoker.codecs.JobSubmitEncoder;
import io.stoker.codecs.LeaseExpiredEncoder;
import io.stoker.codecs.ManifestPartEncoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.RegionAdvertisementEncoder;
import io.stoker.codecs.RegisterEncoder;
import io.stoker.codecs.RegisteredEncoder;
import io.stoker.codecs.Role;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;

/**
 * Encodes control messages into one buffer and hands them to an {@link Outbox}. One instance per
 * agent; the outbox is an argument so a coordinator uses one publisher for all its members. Every
 * method returns false only when the outbox is full.
 */
public final class ControlPublisher
{
    private final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(64 * 1024);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final RegisterEncoder register = new RegisterEncoder();
    private final RegionAdvertisementEncoder regionAdvertisement = new RegionAdvertisementEncoder();
    private final RegisteredEncoder registered = new RegisteredEncoder();
    private final HeartbeatEncoder heartbeat = new HeartbeatEncoder();
    private final LeaseExpiredEncoder leaseExpired = new LeaseExpiredEncoder();
    private final JobSubmitEncoder jobSubmit = new JobSubmitEncoder();
    private final JobStartedEncoder jobStarted = new JobStartedEncoder();
    private final AssignmentEncoder assignment = new AssignmentEncoder();
    private final ChunkAckEncoder chunkAck = new ChunkAckEncoder();
    private final ChunkUnavailableEncoder chunkUnavailable = new ChunkUnavailableEncoder();
    private final EpochCompleteEncoder epochComplete = new EpochCompleteEncoder();
    private final JobCompleteEncoder jobComplete = new JobCompleteEncoder();
    private final ErrorResponseEncoder errorResponse = new ErrorResponseEncoder();
    private final ChallengeEncoder challenge = new ChallengeEncoder();
    private final DataConnectEncoder dataConnect = new DataConnectEncoder();
    private final DataConnectedEncoder dataConnected = new DataConnectedEncoder();
    private final ReadRequestEncoder readRequest = new ReadRequestEncoder();
    private final ReadErrorEncoder readError = new ReadErrorEncoder();
    private final ManifestPartEncoder manifestPart = new ManifestPartEncoder();

    public boolean register(
        final Outbox outbox,
        final long correlationId,
        final Role role,
        final int rank,
        final int responseStreamId,
        final byte transports,
        final String hostId,
        final String responseChannel,
        final byte[] proof)
    {
        register.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .role(role)
            .rank(rank)
            .responseStreamId(responseStreamId);
        register.transports().clear()
            .local(TransportKind.LOCAL.isIn(transports))
            .udp(TransportKind.UDP.isIn(transports))
            .rdma(TransportKind.RDMA.isIn(transports));
        register.hostId(hostId).responseChannel(responseChannel).putProof(proof, 0, proof.length);
        return offer(outbox, header.encodedLength() + register.encodedLength());
    }

    public boolean registered(
        final Outbox outbox,
        final long correlationId,
        final int memberId,
        final long leaseTimeoutNs,
        final long heartbeatIntervalNs)
    {
        registered.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .memberId(memberId)
            .leaseTimeoutNs(leaseTimeoutNs)
            .heartbeatIntervalNs(heartbeatIntervalNs);
        return offer(outbox, header.encodedLength() + registered.encodedLength());
    }

    public boolean heartbeat(final Outbox outbox, final int memberId, final long timestampNs)
    {
        heartbeat.wrapAndApplyHeader(buffer, 0, header).memberId(memberId).timestampNs(timestampNs);
        return offer(outbox, header.encodedLength() + heartbeat.encodedLength());
    }

    public boolean leaseExpired(final Outbox outbox, final int memberId)
    {
        leaseExpired.wrapAndApplyHeader(buffer, 0, header).memberId(memberId);
        return offer(outbox, header.encodedLength() + leaseExpired.encodedLength());
    }

    public boolean jobSubmit(
        final Outbox outbox,
        final long correlationId,
        final int worldSize,
        final int epochs,
        final long seed,
        final String datasetId)
    {
        jobSubmit.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .worldSize(worldSize)
            .epochs(epochs)
            .seed(seed)
            .datasetId(datasetId);
        return offer(outbox, header.encodedLength() + jobSubmit.encodedLength());
    }

    public boolean jobStarted(
        final Outbox outbox,
        final long correlationId,
        final long jobId,
        final int worldSize,
        final int epochs,
        final long seed,
        final int chunkCount,
        final long totalBytes,
        final String datasetId)
    {
        jobStarted.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .jobId(jobId)
            .worldSize(worldSize)
            .epochs(epochs)
            .seed(seed)
            .chunkCount(chunkCount)
            .totalBytes(totalBytes)
            .datasetId(datasetId);
        return offer(outbox, header.encodedLength() + jobStarted.encodedLength());
    }

    /**
     * Offer {@code count} chunk ids of {@code chunkIds} from {@code from} as one assignment message.
     */
    public boolean assignment(
        final Outbox outbox,
        final long jobId,
        final int epoch,
        final int rank,
        final int firstPosition,
        final int[] chunkIds,
        final int from,
        final int count)
    {
        assignment.wrapAndApplyHeader(buffer, 0, header)
            .jobId(jobId)
            .epoch(epoch)
            .rank(rank)
            .firstPosition(firstPosition);
        final AssignmentEncoder.ChunksEncoder chunks = assignment.chunksCount(count);
        for (int i = from, end = from + count; i < end; i++)
        {
            chunks.next().chunkId(chunkIds[i]);
        }
        return offer(outbox, header.encodedLength() + assignment.encodedLength());
    }

    /**
     * Offer acknowledgements for {@code count} chunks, ids and CRCs taken from the two arrays.
     */
    public boolean chunkAck(
        final Outbox outbox,
        final int memberId,
        final long jobId,
        final int epoch,
        final int[] chunkIds,
        final int[] crcs,
        final int count)
    {
        chunkAck.wrapAndApplyHeader(buffer, 0, header).memberId(memberId).jobId(jobId).epoch(epoch);
        final ChunkAckEncoder.ChunksEncoder chunks = chunkAck.chunksCount(count);
        for (int i = 0; i < count; i++)
        {
            chunks.next().chunkId(chunkIds[i]).crc(crcs[i]);
        }
        return offer(outbox, header.encodedLength() + chunkAck.encodedLength());
    }

    public boolean chunkUnavailable(
        final Outbox outbox,
        final int memberId,
        final long jobId,
        final int epoch,
        final int chunkId,
        final String reason)
    {
        chunkUnavailable.wrapAndApplyHeader(buffer, 0, header)
            .memberId(memberId)
            .jobId(jobId)
            .epoch(epoch)
            .chunkId(chunkId)
            .reason(reason);
        return offer(outbox, header.encodedLength() + chunkUnavailable.encodedLength());
    }

    public boolean epochComplete(
        final Outbox outbox,
        final long jobId,
        final int epoch,
        final int acknowledgedChunks,
        final int[] missingChunkIds,
        final int missingCount)
    {
        epochComplete.wrapAndApplyHeader(buffer, 0, header)
            .jobId(jobId)
            .epoch(epoch)
            .acknowledgedChunks(acknowledgedChunks);
        final int count = Math.min(missingCount, 65535);
        final EpochCompleteEncoder.MissingEncoder missing = epochComplete.missingCount(count);
        for (int i = 0; i < count; i++)
        {
            missing.next().chunkId(missingChunkIds[i]);
        }
        return offer(outbox, header.encodedLength() + epochComplete.encodedLength());
    }

    public boolean jobComplete(
        final Outbox outbox, final long jobId, final JobOutcome outcome, final int epochsCompleted)
    {
        jobComplete.wrapAndApplyHeader(buffer, 0, header)
            .jobId(jobId)
            .outcome(outcome)
            .epochsCompleted(epochsCompleted);
        return offer(outbox, header.encodedLength() + jobComplete.encodedLength());
    }

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
            .offendingTemplateId(offendingTemplateId)
            .message(message);
        return offer(outbox, header.encodedLength() + errorResponse.encodedLength());
    }

    /**
     * Offer {@code count} of the server's regions, from {@code from} of {@code regions}, as one advertisement.
     */
    public boolean regionAdvertisement(
        final Outbox outbox,
        final ServerAdvertisement server,
        final ServerAdvertisement.Region[] regions,
        final int from,
        final int count)
    {
        regionAdvertisement.wrapAndApplyHeader(buffer, 0, header).serverId(server.serverId());
        regionAdvertisement.transports().clear()
            .local(TransportKind.LOCAL.isIn(server.transports()))
            .udp(TransportKind.UDP.isIn(server.transports()))
            .rdma(TransportKind.RDMA.isIn(server.transports()));
        final RegionAdvertisementEncoder.RegionsEncoder group = regionAdvertisement.regionsCount(count);
        for (int i = from, end = from + count; i < end; i++)
        {
            final ServerAdvertisement.Region region = regions[i];
            group.next()
                .regionId(region.id())
                .length(region.length())
                .rdmaAddress(region.rdmaAddress())
                .rdmaKey(region.rdmaKey())
                .path(region.path());
        }
        regionAdvertisement
            .datasetId(server.datasetId())
            .hostId(server.hostId())
            .udpChannel(server.udpChannel())
            .rdmaEndpoint(server.rdmaEndpoint());
        return offer(outbox, header.encodedLength() + regionAdvertisement.encodedLength());
    }

    public boolean challenge(final Outbox outbox, final long correlationId, final byte[] nonce)
    {
        challenge.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId).putNonce(nonce, 0, nonce.length);
        return offer(outbox, header.encodedLength() + challenge.encodedLength());
    }

    public boolean dataConnect(
        final Outbox outbox,
        final long correlationId,
        final int responseStreamId,
        final String responseChannel,
        final byte[] proof)
    {
        dataConnect.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .responseStreamId(responseStreamId)
            .responseChannel(responseChannel)
            .putProof(proof, 0, proof.length);
        return offer(outbox, header.encodedLength() + dataConnect.encodedLength());
    }

    public boolean dataConnected(final Outbox outbox, final long correlationId)
    {
        dataConnected.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId);
        return offer(outbox, header.encodedLength() + dataConnected.encodedLength());
    }

    public boolean readRequest(
        final Outbox outbox, final long requestId, final int regionId, final long regionOffset, final int length)
    {
        readRequest.wrapAndApplyHeader(buffer, 0, header)
            .requestId(requestId)
            .regionId(regionId)
            .regionOffset(regionOffset)
            .length(length);
        return offer(outbox, header.encodedLength() + readRequest.encodedLength());
    }

    public boolean readError(final Outbox outbox, final long requestId, final ErrorCode code, final String message)
    {
        readError.wrapAndApplyHeader(buffer, 0, header).requestId(requestId).code(code).message(message);
        return offer(outbox, header.encodedLength() + readError.encodedLength());
    }

    /**
     * Offer {@code length} bytes of a manifest from {@code offset} as one part.
     */
    public boolean manifestPart(
        final Outbox outbox, final String datasetId, final byte[] manifest, final int offset, final int length)
    {
        manifestPart.wrapAndApplyHeader(buffer, 0, header)
            .totalLength(manifest.length)
            .partOffset(offset)
            .datasetId(datasetId)
            .putBytes(manifest, offset, length);
        return offer(outbox, header.encodedLength() + manifestPart.encodedLength());
    }

    /**
     * Offer an already encoded message unchanged, as a coordinator relays a data server's advertisement.
     */
    public boolean forward(final Outbox outbox, final DirectBuffer message, final int offset, final int length)
    {
        return outbox.offer(message, offset, length);
    }

    private boolean offer(final Outbox outbox, final int length)
    {
        return outbox.offer(buffer, 0, length);
    }
}
