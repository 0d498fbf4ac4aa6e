package io.stoker.transport.wire;

import io.stoker.codecs.AssignmentDecoder;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ChunkDescriptorsDecoder;
import io.stoker.codecs.ChunkUnavailableDecoder;
import io.stoker.codecs.DataConnectedDecoder;
import io.stoker.codecs.DatasetLayoutDecoder;
import io.stoker.codecs.DropPolicy;
import io.stoker.codecs.EpochCompleteDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.JobCompleteDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.JobServingDecoder;
import io.stoker.codecs.JobSubmitDecoder;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.ProofDecoder;
import io.stoker.codecs.ReadDataDecoder;
import io.stoker.codecs.ReadErrorDecoder;
import io.stoker.codecs.ReadRequestDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckAnswerDecoder;
import io.stoker.codecs.StepAckDecoder;
import io.stoker.codecs.WorkerFencedDecoder;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;

import static io.stoker.transport.wire.MessageLimits.MAX_CHANNEL_LENGTH;
import static io.stoker.transport.wire.MessageLimits.MAX_CONSUMED_RECORDS;
import static io.stoker.transport.wire.MessageLimits.MAX_DATASET_ID_LENGTH;
import static io.stoker.transport.wire.MessageLimits.MAX_DESCRIPTORS_PER_MESSAGE;
import static io.stoker.transport.wire.MessageLimits.MAX_HOST_ID_LENGTH;
import static io.stoker.transport.wire.MessageLimits.MAX_MANIFEST_PART_LENGTH;
import static io.stoker.transport.wire.MessageLimits.MAX_MISSING_PER_MESSAGE;
import static io.stoker.transport.wire.MessageLimits.MAX_PATH_LENGTH;
import static io.stoker.transport.wire.MessageLimits.MAX_READ_DATA_LENGTH;
import static io.stoker.transport.wire.MessageLimits.MAX_RECORD_LENGTHS_LENGTH;
import static io.stoker.transport.wire.MessageLimits.MAX_REGIONS_PER_MESSAGE;
import static io.stoker.transport.wire.MessageLimits.MAX_SEGMENTS;
import static io.stoker.transport.wire.MessageLimits.MAX_STEPS_PER_MESSAGE;
import static io.stoker.transport.wire.MessageLimits.MAX_TEXT_LENGTH;

/**
 * Checks that bytes from the network are a whole, well-formed Stoker message before any field of it
 * is read: the header is complete, of Stoker's schema and version, and names a known template with
 * its exact block length; every enum and set field holds a known value; every group count and
 * variable-length field is read as the unsigned number it is on the wire, lies within the protocol's
 * bound ({@link MessageLimits}) and inside the message; strings are printable ASCII; and the message
 * ends exactly where it must. All arithmetic is on {@code long}, so no length can wrap.
 * <p>
 * One instance per receiver, used from its duty cycle. A failure is described by
 * {@link #failureCode()} and {@link #failureReason()}, built only when asked for.
 */
public final class MessageValidator
{
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int HEADER_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH;
    private static final int GROUP_HEADER_LENGTH = 4;
    private static final MessageShape[] SHAPES = shapes();

    private ErrorCode failureCode;
    private String failureFormat;
    private String failureField;
    private long failureValue;
    private long failureBound;
    private int templateId;

    /**
     * Check the header.
     *
     * @param length bytes available from {@code offset}.
     * @return the message's template id, or -1 when the header is short, of another schema or
     * version, or names no template of ours (see {@link #failureReason()}).
     */
    public int validateHeader(final DirectBuffer buffer, final int offset, final int length)
    {
        templateId = -1;
        failureCode = null;
        failureFormat = null;
        if (length < HEADER_LENGTH)
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "message of %2$d bytes is shorter than the %3$d-byte header",
                null, length, HEADER_LENGTH);
        }
        final int schemaId = buffer.getShort(offset + 4, ORDER) & 0xFFFF;
        final int version = buffer.getShort(offset + 6, ORDER) & 0xFFFF;
        final int template = buffer.getShort(offset + 2, ORDER) & 0xFFFF;
        if (schemaId != MessageHeaderDecoder.SCHEMA_ID)
        {
            return reject(ErrorCode.UNKNOWN_SCHEMA, "schema id %2$d is not Stoker's %3$d",
                null, schemaId, MessageHeaderDecoder.SCHEMA_ID);
        }
        templateId = template;
        if (version != MessageHeaderDecoder.SCHEMA_VERSION)
        {
            return reject(ErrorCode.UNSUPPORTED_VERSION, "schema version %2$d is not supported (this side speaks %3$d)",
                null, version, MessageHeaderDecoder.SCHEMA_VERSION);
        }
        if (null == shape(template))
        {
            return reject(ErrorCode.UNKNOWN_TEMPLATE, "unknown message template %2$d", null, template, 0);
        }
        return template;
    }

    /**
     * Check a message whose header passed {@link #validateHeader}: it must end exactly at {@code length}.
     *
     * @param length the message's length, any seal after it excluded.
     * @return true when the whole message is valid.
     */
    public boolean validateBody(final DirectBuffer buffer, final int offset, final int length)
    {
        final MessageShape shape = SHAPES[templateId];
        final int blockLength = buffer.getShort(offset, ORDER) & 0xFFFF;
        if (blockLength != shape.blockLength)
        {
            return invalid(ErrorCode.MALFORMED_MESSAGE, "has a %2$d-byte block, expected %3$d",
                null, blockLength, shape.blockLength);
        }
        long position = HEADER_LENGTH + (long)blockLength;
        if (position > length)
        {
            return invalid(ErrorCode.MALFORMED_MESSAGE, "block runs past the end of its %2$d-byte message",
                null, length, 0);
        }
        for (final MessageShape.EnumField field : shape.enums)
        {
            final int at = offset + HEADER_LENGTH + field.offset();
            final int value = 1 == field.size() ? buffer.getByte(at) & 0xFF : buffer.getShort(at, ORDER) & 0xFFFF;
            if (!field.isValid(value))
            {
                return invalid(
                    ErrorCode.MALFORMED_MESSAGE, "field %1$s holds unknown value %2$d", field.name(), value, 0);
            }
        }
        for (final MessageShape.Group group : shape.groups)
        {
            position = walkGroup(buffer, offset, length, position, group);
            if (position < 0)
            {
                return false;
            }
        }
        for (final MessageShape.VarField field : shape.varFields)
        {
            position = walkVarField(buffer, offset, length, position, field);
            if (position < 0)
            {
                return false;
            }
        }
        if (position != length)
        {
            return invalid(ErrorCode.MALFORMED_MESSAGE, "ends at byte %2$d of a %3$d-byte message",
                null, position, length);
        }
        return true;
    }

    /**
     * @param templateId any number.
     * @return true when it is the id of one of Stoker's messages.
     */
    public static boolean isKnown(final int templateId)
    {
        return null != shape(templateId);
    }

    /**
     * @param templateId a template id that passed {@link #validateHeader}.
     * @return true when the template opens or answers a handshake and so is never sealed.
     */
    public static boolean isHandshake(final int templateId)
    {
        return SHAPES[templateId].sealing == MessageShape.Sealing.HANDSHAKE;
    }

    /**
     * @param templateId a template id that passed {@link #validateHeader}.
     * @return true when the template is sealed on an authenticated session.
     */
    public static boolean isSealed(final int templateId)
    {
        return SHAPES[templateId].sealing == MessageShape.Sealing.SEALED;
    }

    /**
     * @param templateId a template id.
     * @return the message's name, or the number when it is not one of ours.
     */
    public static String templateName(final int templateId)
    {
        final MessageShape shape = shape(templateId);
        return null != shape ? shape.name : "template " + templateId;
    }

    /**
     * @return why the last check failed, or null when it did not.
     */
    public ErrorCode failureCode()
    {
        return failureCode;
    }

    /**
     * @return the template id of the last message checked, or -1 when its header was unreadable.
     */
    public int templateId()
    {
        return templateId;
    }

    /**
     * @return one line saying why the last check failed.
     */
    public String failureReason()
    {
        if (null == failureFormat)
        {
            return "no failure";
        }
        final String detail = String.format(failureFormat, failureField, failureValue, failureBound);
        return templateId >= 0 && null != shape(templateId) ? SHAPES[templateId].name + ": " + detail : detail;
    }

    private long walkGroup(
        final DirectBuffer buffer, final int offset, final int length, final long start, final MessageShape.Group group)
    {
        long position = start;
        if (position + GROUP_HEADER_LENGTH > length)
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "group %1$s header runs past the end of the message",
                group.name(), 0, 0);
        }
        final int blockLength = buffer.getShort(offset + (int)position, ORDER) & 0xFFFF;
        final int count = buffer.getShort(offset + (int)position + 2, ORDER) & 0xFFFF;
        position += GROUP_HEADER_LENGTH;
        if (blockLength != group.elementBlockLength())
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "group %1$s has %2$d-byte elements, expected %3$d",
                group.name(), blockLength, group.elementBlockLength());
        }
        if (count > group.maxCount())
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "group %1$s has %2$d elements, at most %3$d allowed",
                group.name(), count, group.maxCount());
        }
        if (0 == group.elementFields().length)
        {
            position += (long)count * blockLength;
            if (position > length)
            {
                return reject(
                    ErrorCode.MALFORMED_MESSAGE, "group %1$s of %2$d elements runs past the end of the message",
                    group.name(), count, 0);
            }
            return position;
        }
        for (int i = 0; i < count; i++)
        {
            position += blockLength;
            if (position > length)
            {
                return reject(
                    ErrorCode.MALFORMED_MESSAGE, "element %2$d of group %1$s runs past the end of the message",
                    group.name(), i, 0);
            }
            for (final MessageShape.VarField field : group.elementFields())
            {
                position = walkVarField(buffer, offset, length, position, field);
                if (position < 0)
                {
                    return position;
                }
            }
        }
        return position;
    }

    private long walkVarField(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long start,
        final MessageShape.VarField field)
    {
        final int headerLength = field.headerLength();
        if (start + headerLength > length)
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "length of %1$s runs past the end of the message",
                field.name(), 0, 0);
        }
        final int at = offset + (int)start;
        final long fieldLength = 2 == headerLength ?
            buffer.getShort(at, ORDER) & 0xFFFFL : buffer.getInt(at, ORDER) & 0xFFFF_FFFFL;
        if (fieldLength > field.maxLength())
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "%1$s is %2$d bytes, at most %3$d allowed",
                field.name(), fieldLength, field.maxLength());
        }
        final long end = start + headerLength + fieldLength;
        if (end > length)
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "%1$s of %2$d bytes runs past the end of the message",
                field.name(), fieldLength, 0);
        }
        if (field.chars() == MessageShape.Chars.PRINTABLE)
        {
            for (int i = at + headerLength, last = offset + (int)end; i < last; i++)
            {
                final byte b = buffer.getByte(i);
                if (b < 0x20 || b > 0x7E)
                {
                    return reject(ErrorCode.MALFORMED_MESSAGE, "%1$s holds byte 0x%2$02x, not printable ASCII",
                        field.name(), b & 0xFF, 0);
                }
            }
        }
        else if (field.chars() == MessageShape.Chars.NAME)
        {
            for (int i = at + headerLength, last = offset + (int)end; i < last; i++)
            {
                final byte b = buffer.getByte(i);
                if (!JobNames.isNameByte(b))
                {
                    return reject(ErrorCode.MALFORMED_MESSAGE, "%1$s holds byte 0x%2$02x, not one of [A-Za-z0-9._-]",
                        field.name(), b & 0xFF, 0);
                }
            }
        }
        return end;
    }

    /**
     * Record why a check failed; the reason is formatted only when asked for.
     *
     * @return -1, for the callers to return.
     */
    private int reject(
        final ErrorCode code, final String format, final String field, final long value, final long bound)
    {
        failureCode = code;
        failureFormat = format;
        failureField = field;
        failureValue = value;
        failureBound = bound;
        return -1;
    }

    private boolean invalid(
        final ErrorCode code, final String format, final String field, final long value, final long bound)
    {
        reject(code, format, field, value, bound);
        return false;
    }

    /**
     * @return the shape of a template, or null when it is not one of ours.
     */
    static MessageShape shape(final int templateId)
    {
        return templateId >= 0 && templateId < SHAPES.length ? SHAPES[templateId] : null;
    }

    private static MessageShape[] shapes()
    {
        final int[] roles = Arrays.stream(Role.values()).filter(role -> role != Role.NULL_VAL)
            .mapToInt(Role::value).toArray();
        final int[] errorCodes = Arrays.stream(ErrorCode.values()).filter(code -> code != ErrorCode.NULL_VAL)
            .mapToInt(ErrorCode::value).toArray();
        final int[] leaseEnds = Arrays.stream(LeaseEnd.values()).filter(end -> end != LeaseEnd.NULL_VAL)
            .mapToInt(LeaseEnd::value).toArray();
        final int[] outcomes = Arrays.stream(JobOutcome.values()).filter(outcome -> outcome != JobOutcome.NULL_VAL)
            .mapToInt(JobOutcome::value).toArray();
        final int[] dropPolicies = Arrays.stream(DropPolicy.values()).filter(policy -> policy != DropPolicy.NULL_VAL)
            .mapToInt(DropPolicy::value).toArray();
        final int transportBits = 0b111;
        final MessageShape.Sealing handshake = MessageShape.Sealing.HANDSHAKE;
        final MessageShape.Sealing sealed = MessageShape.Sealing.SEALED;

        final MessageShape[] all = {
            new MessageShape(HelloDecoder.TEMPLATE_ID, "Hello", HelloDecoder.BLOCK_LENGTH, handshake)
                .enumField("role", HelloDecoder.roleEncodingOffset(), 1, roles)
                .setField("transports", HelloDecoder.transportsEncodingOffset(), transportBits)
                .string("hostId", MAX_HOST_ID_LENGTH)
                .string("responseChannel", MAX_CHANNEL_LENGTH)
                .name("jobName", JobNames.MAX_LENGTH),
            new MessageShape(ChallengeDecoder.TEMPLATE_ID, "Challenge", ChallengeDecoder.BLOCK_LENGTH, handshake),
            new MessageShape(ProofDecoder.TEMPLATE_ID, "Proof", ProofDecoder.BLOCK_LENGTH, handshake),
            new MessageShape(RegisteredDecoder.TEMPLATE_ID, "Registered", RegisteredDecoder.BLOCK_LENGTH, sealed),
            new MessageShape(HeartbeatDecoder.TEMPLATE_ID, "Heartbeat", HeartbeatDecoder.BLOCK_LENGTH, sealed),
            new MessageShape(LeaseExpiredDecoder.TEMPLATE_ID, "LeaseExpired", LeaseExpiredDecoder.BLOCK_LENGTH, sealed)
                .enumField("reason", LeaseExpiredDecoder.reasonEncodingOffset(), 1, leaseEnds),
            new MessageShape(WorkerFencedDecoder.TEMPLATE_ID, "WorkerFenced", WorkerFencedDecoder.BLOCK_LENGTH, sealed),
            new MessageShape(JobServingDecoder.TEMPLATE_ID, "JobServing", JobServingDecoder.BLOCK_LENGTH, sealed)
                .name("jobName", JobNames.MAX_LENGTH),
            new MessageShape(
                RegionAdvertisementDecoder.TEMPLATE_ID, "RegionAdvertisement", RegionAdvertisementDecoder.BLOCK_LENGTH,
                sealed)
                .setField("transports", RegionAdvertisementDecoder.transportsEncodingOffset(), transportBits)
                .group("regions", RegionAdvertisementDecoder.RegionsDecoder.sbeBlockLength(), MAX_REGIONS_PER_MESSAGE,
                    MessageShape.VarField.string("path", MAX_PATH_LENGTH))
                .string("datasetId", MAX_DATASET_ID_LENGTH)
                .string("hostId", MAX_HOST_ID_LENGTH)
                .string("udpChannel", MAX_CHANNEL_LENGTH)
                .string("rdmaEndpoint", MAX_CHANNEL_LENGTH),
            new MessageShape(JobSubmitDecoder.TEMPLATE_ID, "JobSubmit", JobSubmitDecoder.BLOCK_LENGTH, sealed)
                .enumField("dropPolicy", JobSubmitDecoder.dropPolicyEncodingOffset(), 1, dropPolicies)
                .group("segments", JobSubmitDecoder.SegmentsDecoder.sbeBlockLength(), MAX_SEGMENTS)
                .group("consumed", JobSubmitDecoder.ConsumedDecoder.sbeBlockLength(), MAX_CONSUMED_RECORDS)
                .string("datasetId", MAX_DATASET_ID_LENGTH),
            new MessageShape(JobStartedDecoder.TEMPLATE_ID, "JobStarted", JobStartedDecoder.BLOCK_LENGTH, sealed)
                .enumField("dropPolicy", JobStartedDecoder.dropPolicyEncodingOffset(), 1, dropPolicies)
                .group("segments", JobStartedDecoder.SegmentsDecoder.sbeBlockLength(), MAX_SEGMENTS)
                .group("consumed", JobStartedDecoder.ConsumedDecoder.sbeBlockLength(), MAX_CONSUMED_RECORDS)
                .string("datasetId", MAX_DATASET_ID_LENGTH),
            new MessageShape(AssignmentDecoder.TEMPLATE_ID, "Assignment", AssignmentDecoder.BLOCK_LENGTH, sealed)
                .group("steps", AssignmentDecoder.StepsDecoder.sbeBlockLength(), MAX_STEPS_PER_MESSAGE),
            new MessageShape(StepAckDecoder.TEMPLATE_ID, "StepAck", StepAckDecoder.BLOCK_LENGTH, sealed)
                .group("steps", StepAckDecoder.StepsDecoder.sbeBlockLength(), MAX_STEPS_PER_MESSAGE),
            new MessageShape(
                StepAckAnswerDecoder.TEMPLATE_ID, "StepAckAnswer", StepAckAnswerDecoder.BLOCK_LENGTH, sealed)
                .group("confirmed", StepAckAnswerDecoder.ConfirmedDecoder.sbeBlockLength(), MAX_STEPS_PER_MESSAGE)
                .group("refused", StepAckAnswerDecoder.RefusedDecoder.sbeBlockLength(), MAX_STEPS_PER_MESSAGE),
            new MessageShape(
                EpochCompleteDecoder.TEMPLATE_ID, "EpochComplete", EpochCompleteDecoder.BLOCK_LENGTH, sealed)
                .group("missing", EpochCompleteDecoder.MissingDecoder.sbeBlockLength(), MAX_MISSING_PER_MESSAGE),
            new MessageShape(JobCompleteDecoder.TEMPLATE_ID, "JobComplete", JobCompleteDecoder.BLOCK_LENGTH, sealed)
                .enumField("outcome", JobCompleteDecoder.outcomeEncodingOffset(), 1, outcomes),
            new MessageShape(
                ErrorResponseDecoder.TEMPLATE_ID, "ErrorResponse", ErrorResponseDecoder.BLOCK_LENGTH, sealed)
                .enumField("code", ErrorResponseDecoder.codeEncodingOffset(), 2, errorCodes)
                .string("message", MAX_TEXT_LENGTH),
            new MessageShape(
                ChunkUnavailableDecoder.TEMPLATE_ID, "ChunkUnavailable", ChunkUnavailableDecoder.BLOCK_LENGTH, sealed)
                .string("reason", MAX_TEXT_LENGTH),
            new MessageShape(
                DataConnectedDecoder.TEMPLATE_ID, "DataConnected", DataConnectedDecoder.BLOCK_LENGTH, sealed),
            new MessageShape(ReadRequestDecoder.TEMPLATE_ID, "ReadRequest", ReadRequestDecoder.BLOCK_LENGTH, sealed),
            new MessageShape(ReadDataDecoder.TEMPLATE_ID, "ReadData", ReadDataDecoder.BLOCK_LENGTH,
                MessageShape.Sealing.UNSEALED)
                .bytes("bytes", ReadDataDecoder.bytesHeaderLength(), MAX_READ_DATA_LENGTH),
            new MessageShape(ReadErrorDecoder.TEMPLATE_ID, "ReadError", ReadErrorDecoder.BLOCK_LENGTH, sealed)
                .enumField("code", ReadErrorDecoder.codeEncodingOffset(), 2, errorCodes)
                .string("message", MAX_TEXT_LENGTH),
            new MessageShape(ManifestPartDecoder.TEMPLATE_ID, "ManifestPart", ManifestPartDecoder.BLOCK_LENGTH, sealed)
                .string("datasetId", MAX_DATASET_ID_LENGTH)
                .bytes("bytes", ManifestPartDecoder.bytesHeaderLength(), MAX_MANIFEST_PART_LENGTH),
            new MessageShape(
                DatasetLayoutDecoder.TEMPLATE_ID, "DatasetLayout", DatasetLayoutDecoder.BLOCK_LENGTH, sealed)
                .string("datasetId", MAX_DATASET_ID_LENGTH)
                .bytes("bytes", DatasetLayoutDecoder.bytesHeaderLength(), MAX_MANIFEST_PART_LENGTH),
            new MessageShape(
                ChunkDescriptorsDecoder.TEMPLATE_ID, "ChunkDescriptors", ChunkDescriptorsDecoder.BLOCK_LENGTH, sealed)
                .group("chunks", ChunkDescriptorsDecoder.ChunksDecoder.sbeBlockLength(), MAX_DESCRIPTORS_PER_MESSAGE,
                    new MessageShape.VarField("recordLengths",
                        ChunkDescriptorsDecoder.ChunksDecoder.recordLengthsHeaderLength(), MAX_RECORD_LENGTHS_LENGTH,
                        MessageShape.Chars.ANY)),
        };

        int maxTemplateId = 0;
        for (final MessageShape shape : all)
        {
            maxTemplateId = Math.max(maxTemplateId, shape.templateId);
        }
        final MessageShape[] table = new MessageShape[maxTemplateId + 1];
        for (final MessageShape shape : all)
        {
            if (null != table[shape.templateId])
            {
                throw new IllegalStateException("two shapes for template " + shape.templateId);
            }
            table[shape.templateId] = shape;
        }
        return table;
    }
}
