package io.stoker.dataset.format;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzes {@link TarHeader#parseNumber} against a plain reading of the same rules with unbounded integers: octal
 * digits between optional leading and trailing spaces or NULs, or GNU base-256 with the first byte's top bit set,
 * and -1 for anything else, negative or larger than a long.
 */
class TarHeaderFuzzTest
{
    private static final BigInteger MAX = BigInteger.valueOf(Long.MAX_VALUE);
    private static final int[][] NUMBER_FIELDS = {
        { TarHeader.MODE_OFFSET, TarHeader.ID_LENGTH },
        { TarHeader.UID_OFFSET, TarHeader.ID_LENGTH },
        { TarHeader.SIZE_OFFSET, TarHeader.SIZE_LENGTH },
        { TarHeader.MTIME_OFFSET, TarHeader.MTIME_LENGTH },
        { TarHeader.CHECKSUM_OFFSET, TarHeader.CHECKSUM_LENGTH } };

    /**
     * The numeric fields of the first header of each tar fixture.
     */
    static Stream<byte[]> fixtures() throws Exception
    {
        final Stream.Builder<byte[]> seeds = Stream.builder();
        for (final String name : new String[]{ "tar/gnu.tar", "tar/pax.tar", "tar/ustar.tar" })
        {
            final byte[] tar = Files.readAllBytes(Fixtures.fixture(name));
            for (final int[] field : NUMBER_FIELDS)
            {
                seeds.add(Arrays.copyOfRange(tar, field[0], field[0] + field[1]));
            }
        }

        return seeds.build();
    }

    @MethodSource("fixtures")
    @FuzzTest
    void parseNumber(final byte[] input)
    {
        final byte[] field = Arrays.copyOf(input, Math.min(input.length, TarHeader.SIZE_LENGTH));
        if (field.length == 0)
        {
            return;
        }

        final long value = TarHeader.parseNumber(ByteBuffer.wrap(field), 0, field.length);
        assertEquals(expected(field), value, () -> "field " + Arrays.toString(field));

        if (value >= 0 && value < 1L << (3 * (field.length - 1)))
        {
            final ByteBuffer printed = ByteBuffer.allocate(field.length);
            TarHeader.putOctal(printed, 0, field.length, value);
            assertEquals(value, TarHeader.parseNumber(printed, 0, field.length), "printed then parsed");
        }
    }

    private static long expected(final byte[] field)
    {
        final int first = field[0] & 0xFF;
        if ((first & 0x80) != 0)
        {
            if ((first & 0x40) != 0)
            {
                return -1;
            }

            final byte[] magnitude = field.clone();
            magnitude[0] = (byte)(first & 0x3F);
            return fitting(new BigInteger(1, magnitude));
        }

        int i = 0;
        while (i < field.length && isPadding(field[i]))
        {
            i++;
        }

        final int digits = i;
        while (i < field.length && field[i] >= '0' && field[i] <= '7')
        {
            i++;
        }

        final BigInteger value = i == digits ?
            BigInteger.ZERO : new BigInteger(new String(field, digits, i - digits, StandardCharsets.US_ASCII), 8);
        for (; i < field.length; i++)
        {
            if (!isPadding(field[i]))
            {
                return -1;
            }
        }

        return fitting(value);
    }

    private static boolean isPadding(final byte b)
    {
        return b == ' ' || b == 0;
    }

    private static long fitting(final BigInteger value)
    {
        return value.compareTo(MAX) > 0 ? -1 : value.longValueExact();
    }
}
