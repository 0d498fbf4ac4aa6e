package io.stoker.transport.control;

import io.stoker.codecs.AssignmentEncoder;
import io.stoker.codecs.ChunkDescriptorsEncoder;
import io.stoker.codecs.ChunkUnavailableEncoder;
import io.stoker.codecs.DatasetLayoutEncoder;
import io.stoker.codecs.EpochCompleteEncoder;
import io.stoker.codecs.JobServingEncoder;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.HeartbeatEncoder;
import io.stoker.codecs.JobCompleteEncoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobStartedEncoder;
import io.stoker.codecs.JobSubmitEncoder;
import io.stoker.codecs.LeaseExpiredEncoder;
import io.stoker.codecs.ManifestPartEncoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.RegionAdvertisementEncoder;
import io.stoker.codecs.RegisteredEncoder;
import io.stoker.codecs.StepAckAnswerEncoder;
import io.stoker.codecs.StepAckEncoder;
import io.stoker.codecs.WorkerFencedEncoder;
import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.RecordTable;
import io.stoker.plan.JobSpec;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;

/**
 * Encodes the control protocol's messages into one buffer and hands them to an {@link Outbox}, which
 * seals them once its session is authenticated. One instance per agent; the outbox is an argument so
 * a coordinator uses one publisher for all its members. Every method returns false only when the
 * outbox is full. The handshake's messages and error responses are the {@code SessionPublisher}'s.
 */
public final class ControlPublisher
{
    private final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(64 * 1024);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final RegionAdvertisementEncoder regionAdvertisement = new RegionAdvertisementEncoder();
    private final RegisteredEncoder registered = new RegisteredEncoder();
    private final HeartbeatEncoder heartbeat = new HeartbeatEncoder();
    private final LeaseExpiredEncoder leaseExpired = new LeaseExpiredEncoder();
    private final WorkerFencedEncoder workerFenced = new WorkerFencedEncoder();
    private final JobSubmitEncoder jobSubmit = new JobSubmitEncoder();
    private final JobServingEncoder jobServing = new JobServingEncoder();
    private final JobStartedEncoder jobStarted = new JobStartedEncoder();
    private final AssignmentEncoder assignment = new AssignmentEncoder();
    private final StepAckEncoder stepAck = new StepAckEncoder();
    private final StepAckAnswerEncoder stepAckAnswer = new StepAckAnswerEncoder();
    private final ChunkUnavailableEncoder chunkUnavailable = new ChunkUnavailableEncoder();
    private final EpochCompleteEncoder epochComplete = new EpochCompleteEncoder();
    private final JobCompleteEncoder jobComplete = new JobCompleteEncoder();
    private final ManifestPartEncoder manifestPart = new ManifestPartEncoder();
    private final DatasetLayoutEncoder datasetLayout = new DatasetLayoutEncoder();
    private final ChunkDescriptorsEncoder chunkDescriptors = new ChunkDescriptorsEncoder();
    private final RecordTable recordTable = new RecordTable();
    private byte[] recordLengths = new byte[1024];

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

    /**
     * A member's heartbeat: it echoes nothing.
     */
    public boolean heartbeat(final Outbox outbox, final int memberId, final long timestampNs)
    {
        return heartbeat(outbox, memberId, timestampNs, ControlProtocol.NO_ECHO);
    }

    /**
     * The coordinator's heartbeat to a member.
     *
     * @param echoTimestampNs the latest timestamp the member's own heartbeats carried, or
     *                        {@link ControlProtocol#NO_ECHO}: the member's lease ends no earlier than that plus the
     *                        lease, on its own clock.
     */
    public boolean heartbeat(
        final Outbox outbox, final int memberId, final long timestampNs, final long echoTimestampNs)
    {
        heartbeat.wrapAndApplyHeader(buffer, 0, header).memberId(memberId).timestampNs(timestampNs)
            .echoTimestampNs(echoTimestampNs);
        return offer(outbox, header.encodedLength() + heartbeat.encodedLength());
    }

    /**
     * A member's lease ended: told to that member, and to the workers, which stop reading from it.
     *
     * @param reason {@link LeaseEnd#SUPERSEDED} when a newer incarnation of the worker's rank took it over: that
     *               worker must stop rather than register again.
     */
    public boolean leaseExpired(final Outbox outbox, final int memberId, final LeaseEnd reason)
    {
        leaseExpired.wrapAndApplyHeader(buffer, 0, header).memberId(memberId).reason(reason);
        return offer(outbox, header.encodedLength() + leaseExpired.encodedLength());
    }

    /**
     * Tell a data server that a worker's lease ended, so that it revokes what the worker's registration could read
     * with.
     *
     * @param registrationId the correlation id of the handshake that registered the worker.
     * @return true when sent or queued.
     */
    public boolean workerFenced(final Outbox outbox, final int memberId, final int rank, final long registrationId)
    {
        workerFenced.wrapAndApplyHeader(buffer, 0, header).memberId(memberId).rank(rank).registrationId(registrationId);
        return offer(outbox, header.encodedLength() + workerFenced.encodedLength());
    }

    /**
     * Tell a data server a job started with a weight, or ended (weight 0).
     */
    public boolean jobServing(final Outbox outbox, final String jobName, final int weight)
    {
        jobServing.wrapAndApplyHeader(buffer, 0, header).weight(weight).jobName(jobName);
        return offer(outbox, header.encodedLength() + jobServing.encodedLength());
    }

    /**
     * Submit a job, or resume one.
     *
     * @param weight the job's share of the data servers' bandwidth, relative to other jobs': 1 to 1000.
     */
    public boolean jobSubmit(final Outbox outbox, final long correlationId, final JobSpec spec, final int weight)
    {
        jobSubmit.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId).weight(weight);
        JobSpecCodec.encode(jobSubmit, spec);
        return offer(outbox, header.encodedLength() + jobSubmit.encodedLength());
    }

    /**
     * Tell a member the job it takes part in.
     */
    public boolean jobStarted(
        final Outbox outbox,
        final long correlationId,
        final long jobId,
        final int chunkCount,
        final long totalBytes,
        final JobSpec spec)
    {
        jobStarted.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .jobId(jobId)
            .chunkCount(chunkCount)
            .totalBytes(totalBytes);
        JobSpecCodec.encode(jobStarted, spec);
        return offer(outbox, header.encodedLength() + jobStarted.encodedLength());
    }

    /**
     * Offer {@code count} step ranges, {@code [firstSteps[i], firstSteps[i] + stepCounts[i])} from {@code from},
     * of a stream as one assignment.
     */
    public boolean assignment(
        final Outbox outbox,
        final long jobId,
        final StreamId stream,
        final int rank,
        final int[] firstSteps,
        final int[] stepCounts,
        final int from,
        final int count)
    {
        assignment.wrapAndApplyHeader(buffer, 0, header)
            .jobId(jobId)
            .epoch(stream.epoch())
            .segment(stream.segment())
            .stream(stream.rank())
            .rank(rank);
        final AssignmentEncoder.StepsEncoder steps = assignment.stepsCount(count);
        for (int i = from, end = from + count; i < end; i++)
        {
            steps.next().firstStep(firstSteps[i]).stepCount(stepCounts[i]);
        }
        return offer(outbox, header.encodedLength() + assignment.encodedLength());
    }

    /**
     * Offer acknowledgements of {@code count} steps of a stream.
     */
    public boolean stepAck(
        final Outbox outbox,
        final int memberId,
        final long jobId,
        final StreamId stream,
        final int[] stepIds,
        final int count)
    {
        stepAck.wrapAndApplyHeader(buffer, 0, header)
            .memberId(memberId)
            .jobId(jobId)
            .epoch(stream.epoch())
            .segment(stream.segment())
            .stream(stream.rank());
        final StepAckEncoder.StepsEncoder steps = stepAck.stepsCount(count);
        for (int i = 0; i < count; i++)
        {
            steps.next().step(stepIds[i]);
        }
        return offer(outbox, header.encodedLength() + stepAck.encodedLength());
    }

    /**
     * Offer the answer to a worker's claims of a stream's steps: {@code confirmedCount} confirmed, then
     * {@code refusedCount} refused. The stream is named by its epoch, segment and rank, so that the coordinator's
     * duty cycle allocates nothing to answer.
     */
    public boolean stepAckAnswer(
        final Outbox outbox,
        final long jobId,
        final int epoch,
        final int segment,
        final int stream,
        final int[] confirmed,
        final int confirmedCount,
        final int[] refused,
        final int refusedCount)
    {
        stepAckAnswer.wrapAndApplyHeader(buffer, 0, header)
            .jobId(jobId)
            .epoch(epoch)
            .segment(segment)
            .stream(stream);
        final StepAckAnswerEncoder.ConfirmedEncoder confirmedSteps = stepAckAnswer.confirmedCount(confirmedCount);
        for (int i = 0; i < confirmedCount; i++)
        {
            confirmedSteps.next().step(confirmed[i]);
        }
        final StepAckAnswerEncoder.RefusedEncoder refusedSteps = stepAckAnswer.refusedCount(refusedCount);
        for (int i = 0; i < refusedCount; i++)
        {
            refusedSteps.next().step(refused[i]);
        }
        return offer(outbox, header.encodedLength() + stepAckAnswer.encodedLength());
    }

    /**
     * Report that a chunk's samples of a step could not be read.
     */
    public boolean chunkUnavailable(
        final Outbox outbox,
        final int memberId,
        final long jobId,
        final StreamId stream,
        final int step,
        final int chunkId,
        final String reason)
    {
        chunkUnavailable.wrapAndApplyHeader(buffer, 0, header)
            .memberId(memberId)
            .jobId(jobId)
            .epoch(stream.epoch())
            .segment(stream.segment())
            .stream(stream.rank())
            .step(step)
            .chunkId(chunkId)
            .reason(Quote.printable(reason, MessageLimits.MAX_TEXT_LENGTH));
        return offer(outbox, header.encodedLength() + chunkUnavailable.encodedLength());
    }

    /**
     * Report an epoch complete: samples delivered and dropped, steps per rank, chunks that could not be read.
     */
    public boolean epochComplete(
        final Outbox outbox,
        final long jobId,
        final int epoch,
        final long deliveredSamples,
        final long droppedSamples,
        final int steps,
        final int[] missingChunkIds)
    {
        epochComplete.wrapAndApplyHeader(buffer, 0, header)
            .jobId(jobId)
            .epoch(epoch)
            .deliveredSamples(deliveredSamples)
            .droppedSamples(droppedSamples)
            .steps(steps);
        final int count = Math.min(missingChunkIds.length, MessageLimits.MAX_MISSING_PER_MESSAGE);
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
     * Offer a part of a job's dataset layout ({@link io.stoker.dataset.DatasetLayout#toBytes()}), in parts of
     * {@link MessageLimits#MAX_MANIFEST_PART_LENGTH} but the last.
     */
    public boolean datasetLayoutPart(
        final Outbox outbox,
        final long jobId,
        final String datasetId,
        final byte[] layout,
        final int offset,
        final int length)
    {
        datasetLayout.wrapAndApplyHeader(buffer, 0, header)
            .jobId(jobId)
            .totalLength(layout.length)
            .partOffset(offset)
            .datasetId(datasetId)
            .putBytes(layout, offset, length);
        return offer(outbox, header.encodedLength() + datasetLayout.encodedLength());
    }

    /**
     * Offer the descriptors of {@code count} chunks from the manifest, for an epoch: where each is, its record
     * count and CRC32C, and its record lengths where the format stores record offsets.
     */
    public boolean chunkDescriptors(
        final Outbox outbox,
        final long jobId,
        final int epoch,
        final Manifest manifest,
        final int[] chunkIds,
        final int from,
        final int count)
    {
        final boolean withLengths = manifest.format().storesRecordOffsets();
        chunkDescriptors.wrapAndApplyHeader(buffer, 0, header).jobId(jobId).epoch(epoch);
        final ChunkDescriptorsEncoder.ChunksEncoder chunks = chunkDescriptors.chunksCount(count);
        for (int i = from, end = from + count; i < end; i++)
        {
            final int chunkId = chunkIds[i];
            chunks.next()
                .chunkId(chunkId)
                .shard(manifest.chunkShard(chunkId))
                .offset(manifest.chunkOffset(chunkId))
                .length(manifest.chunkLength(chunkId))
                .recordCount(manifest.chunkRecordCount(chunkId))
                .crc(manifest.chunkCrc(chunkId));
            int lengths = 0;
            if (withLengths)
            {
                final int most = 5 * manifest.chunkRecordCount(chunkId);
                if (recordLengths.length < most)
                {
                    recordLengths = new byte[most];
                }
                lengths = ChunkDescriptors.encodeLengths(manifest, chunkId, recordTable, recordLengths, 0);
            }
            chunks.putRecordLengths(recordLengths, 0, lengths);
        }
        return offer(outbox, header.encodedLength() + chunkDescriptors.encodedLength());
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
