package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;

/**
 * CRC32C (Castagnoli) over ranges of buffers without allocating, using the JDK's intrinsic {@link CRC32C}, which
 * runs at memory speed over direct buffers.
 * <p>
 * The buffer methods set the given buffer's position and limit for the duration of the call and restore them
 * before returning, so a buffer must not be used by another thread meanwhile. Not thread-safe: keep one instance
 * per thread.
 */
public final class Crc32c
{
    private final CRC32C crc = new CRC32C();

    /**
     * CRC32C of a range of a buffer.
     *
     * @param buffer best direct (mapped or allocated); heap buffers work too.
     * @param offset absolute index of the first byte.
     * @param length number of bytes.
     * @return the CRC32C of the range.
     */
    public int compute(final ByteBuffer buffer, final int offset, final int length)
    {
        crc.reset();
        update(buffer, offset, length);
        return value();
    }

    /**
     * CRC32C of a range of an Agrona buffer. Buffers that wrap a raw address (neither array nor ByteBuffer) are
     * copied through a temporary array; the others are read in place.
     *
     * @param buffer the buffer.
     * @param offset index of the first byte within the buffer.
     * @param length number of bytes.
     * @return the CRC32C of the range.
     */
    public int compute(final DirectBuffer buffer, final int offset, final int length)
    {
        buffer.boundsCheck(offset, length);
        crc.reset();
        final byte[] array = buffer.byteArray();
        final ByteBuffer byteBuffer = buffer.byteBuffer();
        if (null != array)
        {
            crc.update(array, buffer.wrapAdjustment() + offset, length);
        }
        else if (null != byteBuffer)
        {
            update(byteBuffer, buffer.wrapAdjustment() + offset, length);
        }
        else
        {
            final byte[] copy = new byte[Math.min(length, 64 * 1024)];
            for (int done = 0; done < length; )
            {
                final int n = Math.min(copy.length, length - done);
                buffer.getBytes(offset + done, copy, 0, n);
                crc.update(copy, 0, n);
                done += n;
            }
        }

        return value();
    }

    /**
     * Starts a CRC computed in pieces with {@link #update(ByteBuffer, int, int)}.
     */
    public void reset()
    {
        crc.reset();
    }

    /**
     * Adds a range of a buffer to the CRC started by {@link #reset()}.
     *
     * @param buffer best direct; heap buffers work too.
     * @param offset absolute index of the first byte.
     * @param length number of bytes.
     */
    public void update(final ByteBuffer buffer, final int offset, final int length)
    {
        final int position = buffer.position();
        final int limit = buffer.limit();
        buffer.limit(offset + length);
        buffer.position(offset);
        crc.update(buffer);
        buffer.limit(limit);
        buffer.position(position);
    }

    /**
     * The CRC of what was added since {@link #reset()}.
     *
     * @return the CRC32C.
     */
    public int value()
    {
        return (int)crc.getValue();
    }

    /**
     * CRC32C of byte arrays laid end to end, for tests and small inputs.
     *
     * @param parts the bytes.
     * @return the CRC32C.
     */
    public static int of(final byte[]... parts)
    {
        final CRC32C crc = new CRC32C();
        for (final byte[] part : parts)
        {
            crc.update(part, 0, part.length);
        }

        return (int)crc.getValue();
    }
}
