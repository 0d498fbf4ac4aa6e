package io.stoker.transport.wire;

import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.MessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded corpus of hostile frames, in classes: random bytes; headers of another schema, version,
 * template or block length; every enum field at unknown values; every variable-length field at 0,
 * 2^15 - 1, 2^15, 2^16 - 1, 2^31 - 1, 2^31, 2^32 - 1 (as its width allows), one past its bound and one
 * past the frame; every group count and element length wrong; truncations; a trailing byte; and every
 * template valid but from a stranger (unsealed, or with a forged seal).
 * <p>
 * Every frame is one a receiver must refuse when it comes from a session it did not authenticate: a
 * structurally valid Hello, which opens a handshake instead, is never in the corpus.
 */
public final class FuzzCorpus
{
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;

    private FuzzCorpus()
    {
    }

    /**
     * A hostile frame.
     *
     * @param kind  its class, for the report.
     * @param bytes the frame.
     */
    public record Frame(String kind, byte[] bytes)
    {
    }

    /**
     * @param seed         the corpus is a function of it.
     * @param randomFrames how many frames of random bytes.
     * @return the frames, by class in the order of the javadoc above.
     */
    public static List<Frame> generate(final long seed, final int randomFrames)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < randomFrames; i++)
        {
            final byte[] bytes = new byte[1 + random.nextInt(300)];
            random.nextBytes(bytes);
            frames.add(new Frame("random bytes", bytes));
        }

        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1 << 16]);
        for (final SampleMessages.Sample sample : SampleMessages.all())
        {
            final MessageShape shape = MessageValidator.shape(sample.templateId());
            final int length = sample.encode(buffer);
            final byte[] valid = Arrays.copyOf(buffer.byteArray(), length);

            frames.add(mutated("header: schema", valid, bytes -> bytes.putShort(4, (short)999, LE)));
            final int current = MessageHeaderDecoder.SCHEMA_VERSION;
            for (final int version : new int[]{ 0, current - 1, current + 1, 0xFFFF })
            {
                frames.add(mutated("header: version", valid, bytes -> bytes.putShort(6, (short)version, LE)));
            }
            frames.add(mutated("header: template", valid, bytes -> bytes.putShort(2, (short)4000, LE)));
            frames.add(mutated("header: block length", valid,
                bytes -> bytes.putShort(0, (short)(shape.blockLength + 1), LE)));
            frames.add(mutated("header: block length", valid,
                bytes -> bytes.putShort(0, (short)(shape.blockLength - 1), LE)));

            for (final MessageShape.EnumField field : shape.enums)
            {
                for (final int value : new int[]{ 0, 0x7F, 0xFF, 0xFFFF })
                {
                    if (!field.isValid(value & (1 == field.size() ? 0xFF : 0xFFFF)))
                    {
                        frames.add(mutated("unknown enum value", valid, bytes -> putUnsigned(
                            bytes, HEADER + field.offset(), field.size(), value)));
                    }
                }
            }

            for (final Map.Entry<Integer, Width> lengthField : lengthFields(valid, shape).entrySet())
            {
                final int at = lengthField.getKey();
                final Width width = lengthField.getValue();
                final long declared = width.read(valid, at);
                for (final long value : width.boundaryValues(declared, length - at))
                {
                    frames.add(mutated(width.label + " at " + value, valid, bytes -> width.write(bytes, at, value)));
                }
            }

            for (final int cut : new int[]{ 1, HEADER - 1, HEADER, HEADER + 1, length / 2, length - 1 })
            {
                if (cut > 0 && cut < length)
                {
                    frames.add(new Frame("truncated", Arrays.copyOf(valid, cut)));
                }
            }
            frames.add(new Frame("trailing byte", Arrays.copyOf(valid, length + 1)));
            frames.add(new Frame("valid, from a stranger", valid));
            final byte[] forgedSeal = Arrays.copyOf(valid, length + 24);
            for (int i = length; i < forgedSeal.length; i++)
            {
                forgedSeal[i] = (byte)random.nextInt(256);
            }
            frames.add(new Frame("valid with a forged seal, from a stranger", forgedSeal));
        }

        final MessageValidator validator = new MessageValidator();
        frames.removeIf(frame -> isValidHello(validator, frame.bytes()));
        return frames;
    }

    /**
     * @return how many frames of each class.
     */
    public static Map<String, Integer> countByKind(final List<Frame> frames)
    {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        for (final Frame frame : frames)
        {
            final String kind = frame.kind().replaceAll(" at -?\\d+$", "");
            counts.merge(kind, 1, Integer::sum);
        }
        return counts;
    }

    private static boolean isValidHello(final MessageValidator validator, final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        return validator.validateHeader(buffer, 0, bytes.length) == HelloDecoder.TEMPLATE_ID &&
            validator.validateBody(buffer, 0, bytes.length);
    }

    /**
     * @return the offset of every group dimension and variable-length field of a valid message, with its width.
     */
    private static Map<Integer, Width> lengthFields(final byte[] message, final MessageShape shape)
    {
        final Map<Integer, Width> fields = new LinkedHashMap<>();
        final UnsafeBuffer buffer = new UnsafeBuffer(message);
        int at = HEADER + shape.blockLength;
        for (final MessageShape.Group group : shape.groups)
        {
            fields.put(at, Width.GROUP_BLOCK);
            fields.put(at + 2, Width.GROUP_COUNT);
            final int count = buffer.getShort(at + 2, LE) & 0xFFFF;
            at += 4;
            for (int i = 0; i < count; i++)
            {
                at += group.elementBlockLength();
                for (final MessageShape.VarField field : group.elementFields())
                {
                    at = lengthField(buffer, at, field, fields);
                }
            }
        }
        for (final MessageShape.VarField field : shape.varFields)
        {
            at = lengthField(buffer, at, field, fields);
        }
        return fields;
    }

    /**
     * Note a variable-length field's length at {@code at}, with its width.
     *
     * @return where the field's bytes end.
     */
    private static int lengthField(
        final UnsafeBuffer buffer, final int at, final MessageShape.VarField field, final Map<Integer, Width> fields)
    {
        if (2 == field.headerLength())
        {
            fields.put(at, Width.SHORT);
            return at + 2 + (buffer.getShort(at, LE) & 0xFFFF);
        }
        fields.put(at, Width.INT);
        return at + 4 + buffer.getInt(at, LE);
    }

    private static Frame mutated(
        final String kind, final byte[] valid, final java.util.function.Consumer<UnsafeBuffer> mutation)
    {
        final byte[] bytes = valid.clone();
        mutation.accept(new UnsafeBuffer(bytes));
        return new Frame(kind, bytes);
    }

    private static void putUnsigned(final UnsafeBuffer buffer, final int at, final int size, final int value)
    {
        if (1 == size)
        {
            buffer.putByte(at, (byte)value);
        }
        else
        {
            buffer.putShort(at, (short)value, LE);
        }
    }

    private enum Width
    {
        SHORT("16-bit length", 2),
        INT("32-bit length", 4),
        GROUP_BLOCK("group element length", 2),
        GROUP_COUNT("group count", 2);

        final String label;
        final int size;

        Width(final String label, final int size)
        {
            this.label = label;
            this.size = size;
        }

        long read(final byte[] message, final int at)
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(message);
            return 2 == size ? buffer.getShort(at, LE) & 0xFFFFL : buffer.getInt(at, LE) & 0xFFFF_FFFFL;
        }

        void write(final UnsafeBuffer buffer, final int at, final long value)
        {
            if (2 == size)
            {
                buffer.putShort(at, (short)value, LE);
            }
            else
            {
                buffer.putInt(at, (int)value, LE);
            }
        }

        long[] boundaryValues(final long declared, final int bytesFromField)
        {
            final long pastFrame = bytesFromField;
            if (2 == size)
            {
                return Arrays.stream(new long[]{ 0, 0x7FFF, 0x8000, 0xFFFF, declared + 1, pastFrame })
                    .filter(value -> value != declared && value <= 0xFFFF).distinct().toArray();
            }
            return Arrays.stream(new long[]{ 0, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL,
                MessageLimits.MAX_MANIFEST_PART_LENGTH + 1L, declared + 1, pastFrame })
                .filter(value -> value != declared).distinct().toArray();
        }
    }
}
