package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Crc32cTest
{
    private static final byte[] CHECK = "123456789".getBytes(StandardCharsets.US_ASCII);
    private static final int CHECK_CRC = 0xE3069283;

    @Test
    void computesTheStandardCheckValue()
    {
        assertEquals(CHECK_CRC, Crc32c.of(CHECK));
        assertEquals(CHECK_CRC, Crc32c.of(Arrays.copyOf(CHECK, 4), Arrays.copyOfRange(CHECK, 4, CHECK.length)));
        assertEquals(0, Crc32c.of());
    }

    @Test
    void computesARangeOfADirectBufferAndLeavesItsPositionAndLimit()
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(64);
        buffer.position(20);
        buffer.put(CHECK);
        buffer.position(3).limit(7);

        final Crc32c crc = new Crc32c();
        assertEquals(CHECK_CRC, crc.compute(buffer, 20, CHECK.length));
        assertEquals(3, buffer.position());
        assertEquals(7, buffer.limit());

        crc.reset();
        crc.update(buffer, 20, 4);
        crc.update(buffer, 24, 5);
        assertEquals(CHECK_CRC, crc.value());
    }

    @Test
    void computesARangeOfAnyAgronaBuffer()
    {
        final Crc32c crc = new Crc32c();
        final byte[] array = new byte[40];
        System.arraycopy(CHECK, 0, array, 13, CHECK.length);
        assertEquals(CHECK_CRC, crc.compute(new UnsafeBuffer(array, 10, 30), 3, CHECK.length));

        final ByteBuffer direct = ByteBuffer.allocateDirect(40);
        direct.put(13, CHECK, 0, CHECK.length);
        assertEquals(CHECK_CRC, crc.compute(new UnsafeBuffer(direct, 10, 30), 3, CHECK.length));

        final UnsafeBuffer raw = new UnsafeBuffer(BufferUtil.address(direct) + 10, 30);
        assertEquals(CHECK_CRC, crc.compute(raw, 3, CHECK.length));

        final byte[] large = new byte[200_000];
        for (int i = 0; i < large.length; i++)
        {
            large[i] = (byte)(i * 31);
        }
        final ByteBuffer largeDirect = ByteBuffer.allocateDirect(large.length).put(large);
        final CRC32C expected = new CRC32C();
        expected.update(large, 1, large.length - 1);
        assertEquals((int)expected.getValue(),
            crc.compute(new UnsafeBuffer(BufferUtil.address(largeDirect), large.length), 1, large.length - 1));
    }
}
