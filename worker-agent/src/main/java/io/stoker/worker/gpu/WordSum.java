package io.stoker.worker.gpu;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The checksum {@code --verify-on-device} computes on both sides of the copy: over the chunk's
 * little-endian 32-bit words {@code w[i]} (the last one zero-padded),
 * {@code sum = Σ w[i] × (2i + 1) mod 2^64}. A GPU computes it in any order with one multiply-add per
 * word; the odd weight of each position catches bytes that landed in the wrong place, which a plain
 * sum or xor would miss. {@link WordSumKernel} is the device side.
 */
public final class WordSum
{
    private WordSum()
    {
    }

    /**
     * @param buffer the bytes.
     * @param offset where they start.
     * @param length how many.
     * @return their word sum.
     */
    public static long of(final DirectBuffer buffer, final int offset, final int length)
    {
        final int words = length >>> 2;
        long sum = 0;
        int i = 0;
        for (; i + 1 < words; i += 2)
        {
            final long pair = buffer.getLong(offset + (i << 2), ByteOrder.LITTLE_ENDIAN);
            sum += (pair & 0xFFFF_FFFFL) * (2L * i + 1) + (pair >>> 32) * (2L * i + 3);
        }
        if (i < words)
        {
            sum += (buffer.getInt(offset + (i << 2), ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL) * (2L * i + 1);
        }
        final int tail = length & 3;
        if (0 != tail)
        {
            long last = 0;
            for (int b = 0; b < tail; b++)
            {
                last |= (buffer.getByte(offset + (words << 2) + b) & 0xFFL) << (8 * b);
            }
            sum += last * (2L * words + 1);
        }
        return sum;
    }
}
