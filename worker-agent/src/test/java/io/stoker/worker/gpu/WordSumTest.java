package io.stoker.worker.gpu;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class WordSumTest
{
    @Test
    void matchesTheDefinitionForEveryTailLength()
    {
        final byte[] bytes = new byte[4099];
        new SplittableRandom(11).nextBytes(bytes);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (final int length : new int[]{ 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 4093, 4096, 4097, 4098, 4099 })
        {
            assertEquals(definition(bytes, 0, length), WordSum.of(buffer, 0, length), "length " + length);
            assertEquals(definition(bytes, 3, length - 3 > 0 ? length - 3 : 0),
                WordSum.of(buffer, 3, length - 3 > 0 ? length - 3 : 0), "offset 3, length " + length);
        }
    }

    @Test
    void bytesThatMoveChangeTheSum()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        buffer.putInt(0, 0x01020304);
        buffer.putInt(4, 0x0a0b0c0d);
        final long before = WordSum.of(buffer, 0, 64);
        buffer.putInt(0, 0x0a0b0c0d);
        buffer.putInt(4, 0x01020304);
        assertNotEquals(before, WordSum.of(buffer, 0, 64), "swapped words");
    }

    /**
     * The sum as documented, a byte at a time.
     */
    private static long definition(final byte[] bytes, final int offset, final int length)
    {
        long sum = 0;
        for (int i = 0; 4L * i < length; i++)
        {
            long word = 0;
            for (int b = 0; b < 4 && 4 * i + b < length; b++)
            {
                word |= (bytes[offset + 4 * i + b] & 0xFFL) << (8 * b);
            }
            sum += word * (2L * i + 1);
        }
        return sum;
    }
}
