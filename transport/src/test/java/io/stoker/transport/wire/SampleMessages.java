package io.stoker.transport.wire;

import io.stoker.codecs.AssignmentEncoder;
import io.stoker.codecs.ChallengeEncoder;
import io.stoker.codecs.ChunkDescriptorsEncoder;
import io.stoker.codecs.ChunkUnavailableEncoder;
import io.stoker.codecs.DataConnectedEncoder;
import io.stoker.codecs.DatasetLayoutEncoder;
import io.stoker.codecs.DropPolicy;
import io.stoker.codecs.EpochCompleteEncoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseEncoder;
import io.stoker.codecs.HeartbeatEncoder;
import io.stoker.codecs.HelloEncoder;
import io.stoker.codecs.JobCompleteEncoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobServingEncoder;
import io.stoker.codecs.JobStartedEncoder;
import io.stoker.codecs.JobSubmitEncoder;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.LeaseExpiredEncoder;
import io.stoker.codecs.ManifestPartEncoder;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.ProofEncoder;
import io.stoker.codecs.ReadDataEncoder;
import io.stoker.codecs.ReadErrorEncoder;
import io.stoker.codecs.ReadRequestEncoder;
import io.stoker.codecs.RegionAdvertisementEncoder;
import io.stoker.codecs.RegisteredEncoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckAnswerEncoder;
import io.stoker.codecs.StepAckEncoder;
import io.stoker.codecs.WorkerFencedEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;
import org.agrona.sbe.MessageEncoderFlyweight;

import java.lang.reflect.Constructor;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * One valid message of every template, encoded with the generated encoders, for the validator's and
 * the fuzzers' tests to start from.
 */
public final class SampleMessages
{
    private SampleMessages()
    {
    }

    /**
     * A sample: its name and how to encode it at offset 0 of a buffer, returning its length.
     */
    public record Sample(String name, int templateId, ToIntFunction<MutableDirectBuffer> encoder)
    {
        public int encode(final MutableDirectBuffer buffer)
        {
            return encoder.applyAsInt(buffer);
        }
    }

    /**
     * @return a valid message of every template.
     */
    public static List<Sample> all()
    {
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final byte[] thirtyTwo = new byte[32];
        return List.of(
            sample("Hello", HelloEncoder.TEMPLATE_ID, buffer ->
            {
                final HelloEncoder hello = new HelloEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .correlationId(11).role(Role.WORKER).rank(2).responseStreamId(1002).putNonce(thirtyTwo, 0, 32)
                    .incarnation(1_785_000_000_000L << 16);
                hello.transports().clear().udp(true);
                hello.hostId("host-a").responseChannel("aeron:udp?endpoint=127.0.0.1:7410").jobName("team-a.v2_run-1");
                return length(hello);
            }),
            sample("Challenge", ChallengeEncoder.TEMPLATE_ID, buffer -> length(new ChallengeEncoder()
                .wrapAndApplyHeader(buffer, 0, header).correlationId(11).putNonce(thirtyTwo, 0, 32)
                .putProof(thirtyTwo, 0, 32))),
            sample("Proof", ProofEncoder.TEMPLATE_ID, buffer -> length(new ProofEncoder()
                .wrapAndApplyHeader(buffer, 0, header).correlationId(11).putProof(thirtyTwo, 0, 32))),
            sample("Registered", RegisteredEncoder.TEMPLATE_ID, buffer -> length(new RegisteredEncoder()
                .wrapAndApplyHeader(buffer, 0, header).correlationId(11).memberId(3).leaseTimeoutNs(5)
                .heartbeatIntervalNs(1))),
            sample("Heartbeat", HeartbeatEncoder.TEMPLATE_ID, buffer -> length(new HeartbeatEncoder()
                .wrapAndApplyHeader(buffer, 0, header).memberId(3).timestampNs(99).echoTimestampNs(98))),
            sample("LeaseExpired", LeaseExpiredEncoder.TEMPLATE_ID, buffer -> length(new LeaseExpiredEncoder()
                .wrapAndApplyHeader(buffer, 0, header).memberId(3).reason(LeaseEnd.SUPERSEDED))),
            sample("WorkerFenced", WorkerFencedEncoder.TEMPLATE_ID, buffer -> length(new WorkerFencedEncoder()
                .wrapAndApplyHeader(buffer, 0, header).memberId(3).rank(1).registrationId(0x1234_5678_9abc_def0L))),
            sample("JobServing", JobServingEncoder.TEMPLATE_ID, buffer -> length(new JobServingEncoder()
                .wrapAndApplyHeader(buffer, 0, header).weight(3).jobName("team-b.resnet_50"))),
            sample("RegionAdvertisement", RegionAdvertisementEncoder.TEMPLATE_ID, buffer ->
            {
                final RegionAdvertisementEncoder advertisement = new RegionAdvertisementEncoder()
                    .wrapAndApplyHeader(buffer, 0, header).serverId(4);
                advertisement.transports().clear().local(true).udp(true);
                advertisement.regionsCount(2)
                    .next().regionId(0).length(4096).rdmaAddress(0).rdmaKey(0).path("/data/shard-00000.bin")
                    .next().regionId(1).length(8192).rdmaAddress(0).rdmaKey(0).path("/data/shard-00001.bin");
                advertisement.datasetId("0123456789abcdef").hostId("host-b")
                    .udpChannel("aeron:udp?endpoint=127.0.0.1:7401").rdmaEndpoint("");
                return length(advertisement);
            }),
            sample("JobSubmit", JobSubmitEncoder.TEMPLATE_ID, buffer ->
            {
                final JobSubmitEncoder submit = new JobSubmitEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .correlationId(1).worldSize(2).epochs(3).seed(4).batchSize(32).shuffleWindow(8)
                    .dropPolicy(DropPolicy.DROP_LAST).firstEpoch(1);
                submit.segmentsCount(2).next().epoch(1).worldSize(4).next().epoch(1).worldSize(2);
                submit.consumedCount(1).next().epoch(1).segment(0).rank(-1).steps(5);
                submit.datasetId("0123456789abcdef");
                return length(submit);
            }),
            sample("JobStarted", JobStartedEncoder.TEMPLATE_ID, buffer ->
            {
                final JobStartedEncoder started = new JobStartedEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .correlationId(1).jobId(1).worldSize(2).epochs(3).seed(4).chunkCount(5).totalBytes(6)
                    .batchSize(32).shuffleWindow(8).dropPolicy(DropPolicy.PARTIAL).firstEpoch(0);
                started.segmentsCount(0);
                started.consumedCount(0);
                started.datasetId("0123456789abcdef");
                return length(started);
            }),
            sample("Assignment", AssignmentEncoder.TEMPLATE_ID, buffer ->
            {
                final AssignmentEncoder assignment = new AssignmentEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .jobId(1).epoch(0).segment(0).stream(1).rank(1);
                assignment.stepsCount(2).next().firstStep(0).stepCount(3).next().firstStep(7).stepCount(1);
                return length(assignment);
            }),
            sample("StepAck", StepAckEncoder.TEMPLATE_ID, buffer ->
            {
                final StepAckEncoder ack = new StepAckEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .memberId(3).jobId(1).epoch(0).segment(0).stream(1);
                ack.stepsCount(2).next().step(5).next().step(6);
                return length(ack);
            }),
            sample("StepAckAnswer", StepAckAnswerEncoder.TEMPLATE_ID, buffer ->
            {
                final StepAckAnswerEncoder answer = new StepAckAnswerEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .jobId(1).epoch(0).segment(0).stream(1);
                answer.confirmedCount(2).next().step(5).next().step(6);
                answer.refusedCount(1).next().step(7);
                return length(answer);
            }),
            sample("EpochComplete", EpochCompleteEncoder.TEMPLATE_ID, buffer ->
            {
                final EpochCompleteEncoder complete = new EpochCompleteEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .jobId(1).epoch(0).deliveredSamples(10).droppedSamples(2).steps(3);
                complete.missingCount(1).next().chunkId(4);
                return length(complete);
            }),
            sample("JobComplete", JobCompleteEncoder.TEMPLATE_ID, buffer -> length(new JobCompleteEncoder()
                .wrapAndApplyHeader(buffer, 0, header).jobId(1).outcome(JobOutcome.COMPLETE).epochsCompleted(2))),
            sample("ErrorResponse", ErrorResponseEncoder.TEMPLATE_ID, buffer -> length(new ErrorResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header).correlationId(1).code(ErrorCode.JOB_REJECTED)
                .offendingTemplateId(6).message("job 1 is still running"))),
            sample("ChunkUnavailable", ChunkUnavailableEncoder.TEMPLATE_ID,
                buffer -> length(new ChunkUnavailableEncoder()
                    .wrapAndApplyHeader(buffer, 0, header).memberId(3).jobId(1).epoch(0).segment(0).stream(1).step(2)
                    .chunkId(5).reason("gone"))),
            sample("DataConnected", DataConnectedEncoder.TEMPLATE_ID, buffer -> length(new DataConnectedEncoder()
                .wrapAndApplyHeader(buffer, 0, header).correlationId(11))),
            sample("ReadRequest", ReadRequestEncoder.TEMPLATE_ID, buffer -> length(new ReadRequestEncoder()
                .wrapAndApplyHeader(buffer, 0, header).requestId(1).regionId(0).regionOffset(4096).length(4096)
                .registrationId(0x1234_5678_9abc_def0L))),
            sample("ReadData", ReadDataEncoder.TEMPLATE_ID, buffer -> length(new ReadDataEncoder()
                .wrapAndApplyHeader(buffer, 0, header).requestId(1).readOffset(0).putBytes(thirtyTwo, 0, 32))),
            sample("ReadError", ReadErrorEncoder.TEMPLATE_ID, buffer -> length(new ReadErrorEncoder()
                .wrapAndApplyHeader(buffer, 0, header).requestId(1).code(ErrorCode.OUT_OF_REGION).message("outside"))),
            sample("ManifestPart", ManifestPartEncoder.TEMPLATE_ID, buffer -> length(new ManifestPartEncoder()
                .wrapAndApplyHeader(buffer, 0, header).totalLength(32).partOffset(0).datasetId("0123456789abcdef")
                .putBytes(thirtyTwo, 0, 32))),
            sample("DatasetLayout", DatasetLayoutEncoder.TEMPLATE_ID, buffer -> length(new DatasetLayoutEncoder()
                .wrapAndApplyHeader(buffer, 0, header).jobId(1).totalLength(32).partOffset(0)
                .datasetId("0123456789abcdef").putBytes(thirtyTwo, 0, 32))),
            sample("ChunkDescriptors", ChunkDescriptorsEncoder.TEMPLATE_ID, buffer ->
            {
                final ChunkDescriptorsEncoder descriptors = new ChunkDescriptorsEncoder()
                    .wrapAndApplyHeader(buffer, 0, header).jobId(1).epoch(0);
                final ChunkDescriptorsEncoder.ChunksEncoder chunks = descriptors.chunksCount(2);
                chunks.next().chunkId(4).shard(0).offset(4096).length(32).recordCount(2).crc(0x1234)
                    .putRecordLengths(new byte[]{ 16, 16 }, 0, 2);
                chunks.next().chunkId(5).shard(1).offset(1L << 33).length(32).recordCount(1).crc(0x5678)
                    .putRecordLengths(new byte[0], 0, 0);
                return length(descriptors);
            }));
    }

    /**
     * Decode every field of a message with its generated decoder, as {@code toString} does: what the
     * validator accepts must decode whole without a read outside the message.
     *
     * @param offset where the message's header starts.
     * @return the length the decoder found, header included.
     */
    public static int decodeWhole(final DirectBuffer buffer, final int offset)
    {
        final int templateId = buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int blockLength = buffer.getShort(offset, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int body = offset + MessageHeaderEncoder.ENCODED_LENGTH;
        final MessageDecoderFlyweight decoder = decoderFor(MessageValidator.templateName(templateId));
        decoder.wrap(buffer, body, blockLength, MessageHeaderDecoder.SCHEMA_VERSION);
        decoder.appendTo(new StringBuilder());
        decoder.wrap(buffer, body, blockLength, MessageHeaderDecoder.SCHEMA_VERSION);
        return MessageHeaderEncoder.ENCODED_LENGTH + decoder.sbeDecodedLength();
    }

    private static MessageDecoderFlyweight decoderFor(final String name)
    {
        try
        {
            final Constructor<?> constructor = Class.forName("io.stoker.codecs." + name + "Decoder").getConstructor();
            return (MessageDecoderFlyweight)constructor.newInstance();
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static Sample sample(
        final String name, final int templateId, final ToIntFunction<MutableDirectBuffer> encoder)
    {
        return new Sample(name, templateId, encoder);
    }

    private static int length(final MessageEncoderFlyweight encoder)
    {
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }
}
