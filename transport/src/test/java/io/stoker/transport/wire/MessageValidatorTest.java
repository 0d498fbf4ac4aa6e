package io.stoker.transport.wire;

import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseEncoder;
import io.stoker.codecs.HelloEncoder;
import io.stoker.codecs.JobCompleteEncoder;
import io.stoker.codecs.ManifestPartEncoder;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.RegionAdvertisementEncoder;
import io.stoker.codecs.StepAckEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageValidatorTest
{
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1 << 20]);
    private final MessageValidator validator = new MessageValidator();

    @Test
    void acceptsAValidMessageOfEveryTemplateAndItDecodesWhole()
    {
        for (final SampleMessages.Sample sample : SampleMessages.all())
        {
            final int length = sample.encode(buffer);
            assertEquals(sample.templateId(), validator.validateHeader(buffer, 0, length), sample.name());
            assertTrue(validator.validateBody(buffer, 0, length), sample.name() + ": " + validator.failureReason());
            assertEquals(length, SampleMessages.decodeWhole(new UnsafeBuffer(buffer, 0, length), 0), sample.name());
        }
    }

    @Test
    void refusesEveryTruncationOfEveryTemplate()
    {
        for (final SampleMessages.Sample sample : SampleMessages.all())
        {
            final int length = sample.encode(buffer);
            for (int truncated = 0; truncated < length; truncated++)
            {
                assertFalse(validates(truncated), sample.name() + " cut to " + truncated + " bytes");
            }
        }
    }

    @Test
    void refusesATrailingByte()
    {
        final int length = SampleMessages.all().get(0).encode(buffer);

        assertFalse(validates(length + 1));
        assertTrue(validator.failureReason().contains("ends at byte " + length), validator.failureReason());
    }

    @Test
    void refusesAShortHeaderAnotherSchemaAnotherVersionAndAnUnknownTemplate()
    {
        final int length = SampleMessages.all().get(3).encode(buffer);
        assertFalse(validates(HEADER - 1));
        assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.failureCode());

        buffer.putShort(4, (short)999, LE);
        assertFalse(validates(length));
        assertEquals(ErrorCode.UNKNOWN_SCHEMA, validator.failureCode());

        for (final int version : new int[]{ 0, 1, MessageHeaderDecoder.SCHEMA_VERSION + 1, 0xFFFF })
        {
            SampleMessages.all().get(3).encode(buffer);
            buffer.putShort(6, (short)version, LE);
            assertFalse(validates(length), "version " + version);
            assertEquals(ErrorCode.UNSUPPORTED_VERSION, validator.failureCode());
        }

        for (final int template : new int[]{ 0, 23, 4000, 0xFFFF })
        {
            SampleMessages.all().get(3).encode(buffer);
            buffer.putShort(2, (short)template, LE);
            assertFalse(validates(length), "template " + template);
            assertEquals(ErrorCode.UNKNOWN_TEMPLATE, validator.failureCode());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { -8, -1, 1, 8, 0xFFFF })
    void refusesABlockLengthNotOurs(final int change)
    {
        final int length = SampleMessages.all().get(3).encode(buffer);
        final int blockLength = buffer.getShort(0, LE) & 0xFFFF;
        buffer.putShort(0, (short)(blockLength + change), LE);

        assertFalse(validates(length));
        assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.failureCode());
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 4, 0x80, 0xFF })
    void refusesAnUnknownRole(final int role)
    {
        final int length = sample("Hello");
        buffer.putByte(HEADER + HelloEncoder.roleEncodingOffset(), (byte)role);

        assertFalse(validates(length));
        assertTrue(
            validator.failureReason().contains("field role holds unknown value " + role), validator.failureReason());
    }

    @Test
    void refusesUnknownErrorCodesOutcomesAndTransportBits()
    {
        int length = sample("ErrorResponse");
        buffer.putShort(HEADER + ErrorResponseEncoder.codeEncodingOffset(), (short)999, LE);
        assertFalse(validates(length));

        length = sample("JobComplete");
        buffer.putByte(HEADER + JobCompleteEncoder.outcomeEncodingOffset(), (byte)0);
        assertFalse(validates(length));

        length = sample("Hello");
        buffer.putByte(HEADER + HelloEncoder.transportsEncodingOffset(), (byte)0b1000);
        assertFalse(validates(length));
        assertTrue(validator.failureReason().contains("transports"), validator.failureReason());
    }

    /**
     * A 16-bit string length at 0 is valid; at its bound + 1, at 0xFFFF or anything past the frame it is not.
     */
    @Test
    void checksEveryValueOfAStringLength()
    {
        final int lengthAt = sample("JobSubmit") - "0123456789abcdef".length() - 2;
        for (final int value : new int[]{ 0, MessageLimits.MAX_DATASET_ID_LENGTH + 1, 0x7FFF, 0x8000, 0xFFFF, 17, 100 })
        {
            final int length = sample("JobSubmit");
            final int declared = buffer.getShort(lengthAt, LE) & 0xFFFF;
            buffer.putShort(lengthAt, (short)value, LE);
            final boolean fits = value == declared;
            assertEquals(fits, validates(length), "dataset id length " + value + ": " + validator.failureReason());
            if (0 == value)
            {
                assertTrue(validates(lengthAt + 2), "an empty dataset id is well formed");
            }
        }
    }

    /**
     * The 32-bit length of a manifest part's bytes, read as the unsigned number it is: 2^31 - 1, 2^31
     * and 2^32 - 1 are refused as over the bound, never wrapped into a small or negative length.
     */
    @ParameterizedTest
    @ValueSource(longs = { 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, MessageLimits.MAX_MANIFEST_PART_LENGTH + 1L, 33 })
    void readsAThirtyTwoBitLengthAsUnsigned(final long value)
    {
        final int length = sample("ManifestPart");
        final int lengthAt = length - 32 - ManifestPartEncoder.bytesHeaderLength();
        buffer.putInt(lengthAt, (int)value, LE);

        assertFalse(validates(length));
        assertTrue(validator.failureReason().contains("bytes"), validator.failureReason());
    }

    @Test
    void refusesAGroupOverItsBoundOrPastTheMessage()
    {
        final int countAt = HEADER + StepAckEncoder.BLOCK_LENGTH + 2;
        int length = sample("StepAck");
        buffer.putShort(countAt, (short)(MessageLimits.MAX_STEPS_PER_MESSAGE + 1), LE);
        assertFalse(validates(length));
        assertTrue(validator.failureReason().contains("at most"), validator.failureReason());

        length = sample("StepAck");
        buffer.putShort(countAt, (short)3, LE);
        assertFalse(validates(length));

        length = sample("StepAck");
        buffer.putShort(countAt, (short)0xFFFF, LE);
        assertFalse(validates(length));

        length = sample("StepAck");
        buffer.putShort(countAt - 2, (short)0xFFFF, LE);
        assertFalse(validates(length));
    }

    /**
     * A Hello's job name is at most 64 bytes of [A-Za-z0-9._-]: a space, a slash or a 65th byte is refused, the
     * sample's own name ("team-a.v2_run-1") and the empty name are not.
     */
    @Test
    void holdsAHellosJobNameToItsCharactersAndLength()
    {
        final String name = "team-a.v2_run-1";
        int length = sample("Hello");
        assertTrue(validates(length), validator.failureReason());
        final int nameAt = length - name.length();

        for (final byte bad : new byte[]{ ' ', '/', ':', 0x7F, (byte)0xC3 })
        {
            length = sample("Hello");
            buffer.putByte(nameAt + 4, bad);
            assertFalse(validates(length), "byte " + bad);
            assertTrue(validator.failureReason().contains("jobName"), validator.failureReason());
        }

        sample("Hello");
        buffer.putShort(nameAt - 2, (short)0, LE);
        assertTrue(validates(nameAt), "the default job's empty name: " + validator.failureReason());

        sample("Hello");
        buffer.putShort(nameAt - 2, (short)(JobNames.MAX_LENGTH + 1), LE);
        buffer.setMemory(nameAt, JobNames.MAX_LENGTH + 1, (byte)'a');
        assertFalse(validates(nameAt + JobNames.MAX_LENGTH + 1));
        assertTrue(validator.failureReason().contains("at most 64"), validator.failureReason());
    }

    @Test
    void refusesAControlCharacterInAString()
    {
        final int length = sample("RegionAdvertisement");
        final int pathAt = HEADER + RegionAdvertisementEncoder.BLOCK_LENGTH + 4 +
            RegionAdvertisementEncoder.RegionsEncoder.sbeBlockLength() + 2;
        buffer.putByte(pathAt + 3, (byte)0x1B);

        assertFalse(validates(length));
        assertTrue(validator.failureReason().contains("path holds byte 0x1b"), validator.failureReason());
    }

    /**
     * Seeded mutations of every template: the validator never throws, and whatever it accepts decodes
     * whole with the generated decoders (every enum known, every length inside the message).
     */
    @Test
    void whatItAcceptsAlwaysDecodesWhole()
    {
        final SplittableRandom random = new SplittableRandom(20261129L);
        int accepted = 0;
        for (int round = 0; round < 200_000; round++)
        {
            final SampleMessages.Sample sample = SampleMessages.all().get(random.nextInt(SampleMessages.all().size()));
            int length = sample.encode(buffer);
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--)
            {
                buffer.putByte(random.nextInt(length), (byte)random.nextInt(256));
            }
            if (random.nextInt(8) == 0)
            {
                length = random.nextInt(length + 1);
            }
            if (validates(length))
            {
                accepted++;
                assertEquals(length, SampleMessages.decodeWhole(new UnsafeBuffer(buffer, 0, length), 0), sample.name());
            }
        }
        assertTrue(accepted > 1000, "some mutations keep a message valid: " + accepted);
    }

    /**
     * The corpus the process-level fuzz tests send: every frame of it is refused by the validator, but
     * the valid messages it sends from strangers (which the session gate refuses) and nothing else.
     */
    @Test
    void theFuzzCorpusIsRefusedByTheValidatorButForItsValidMessages()
    {
        final java.util.List<FuzzCorpus.Frame> frames = FuzzCorpus.generate(7, 500);
        for (final FuzzCorpus.Frame frame : frames)
        {
            buffer.putBytes(0, frame.bytes());
            final boolean valid = validates(frame.bytes().length);
            assertEquals(frame.kind().equals("valid, from a stranger"), valid, frame.kind());
        }
        assertTrue(FuzzCorpus.countByKind(frames).size() >= 12, FuzzCorpus.countByKind(frames).toString());
    }

    private int sample(final String name)
    {
        return SampleMessages.all().stream().filter(sample -> sample.name().equals(name)).findFirst()
            .orElseThrow().encode(buffer);
    }

    private boolean validates(final int length)
    {
        return validator.validateHeader(buffer, 0, length) >= 0 && validator.validateBody(buffer, 0, length);
    }
}
