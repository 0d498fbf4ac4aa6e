package io.stoker.dataset.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.SplitMix64;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Writes a shard file through one large direct buffer, filling random bytes in place. Integers are little-endian.
 * <p>
 * Random bytes are drawn eight at a time, the last draw of a call trimmed to what is left, so the bytes depend only
 * on the sequence of calls, never on how the buffer happened to be flushed. One instance can write many files in
 * turn: {@link #open}, puts, {@link #close}; a format that writes a file beside its shard (a Megatron-LM
 * {@code .idx}) or after its last shard (an MDS {@code index.json}) opens it on the same instance.
 */
public final class ShardOutput implements AutoCloseable
{
    private static final int BUFFER_BYTES = 4 << 20;

    private final ByteBuffer byteBuffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer buffer = new UnsafeBuffer(byteBuffer);
    private final Consumer<Path> onCreate;
    private FileChannel channel;
    private Path file;
    private long flushedBytes;
    private int used;

    /**
     * An output that tells no one what it creates.
     */
    public ShardOutput()
    {
        this(file -> {});
    }

    /**
     * An output that tells which files it creates, so that they can be removed if writing fails.
     *
     * @param onCreate called with each file {@link #open} is about to create or truncate.
     */
    public ShardOutput(final Consumer<Path> onCreate)
    {
        this.onCreate = onCreate;
    }

    /**
     * Creates or truncates a file and starts writing it, having closed the one before.
     *
     * @param file the file to write.
     */
    public void open(final Path file)
    {
        close();
        onCreate.accept(file);
        this.file = file;
        try
        {
            channel = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        }
        catch (final IOException ex)
        {
            throw new DatasetException(file, "cannot create", ex);
        }

        flushedBytes = 0;
        used = 0;
    }

    /**
     * The file being written, or last written.
     *
     * @return the file given to the last {@link #open}, or null before any.
     */
    public Path file()
    {
        return file;
    }

    /**
     * Bytes written to the current file so far.
     *
     * @return bytes written to the current file so far.
     */
    public long position()
    {
        return flushedBytes + used;
    }

    /**
     * Writes one byte.
     *
     * @param value the byte.
     */
    public void putByte(final byte value)
    {
        ensureSpace(1);
        buffer.putByte(used++, value);
    }

    /**
     * Writes an int, little-endian.
     *
     * @param value the int.
     */
    public void putInt(final int value)
    {
        ensureSpace(Integer.BYTES);
        buffer.putInt(used, value, ByteOrder.LITTLE_ENDIAN);
        used += Integer.BYTES;
    }

    /**
     * Writes a long, little-endian.
     *
     * @param value the long.
     */
    public void putLong(final long value)
    {
        ensureSpace(Long.BYTES);
        buffer.putLong(used, value, ByteOrder.LITTLE_ENDIAN);
        used += Long.BYTES;
    }

    /**
     * Writes bytes from an array.
     *
     * @param source the array.
     * @param offset index of the first byte in the array.
     * @param length number of bytes.
     */
    public void putBytes(final byte[] source, final int offset, final int length)
    {
        for (int done = 0; done < length; )
        {
            ensureSpace(1);
            final int n = Math.min(length - done, BUFFER_BYTES - used);
            buffer.putBytes(used, source, offset + done, n);
            used += n;
            done += n;
        }
    }

    /**
     * Writes zero bytes, e.g. padding.
     *
     * @param length number of bytes.
     */
    public void putZeros(final long length)
    {
        for (long done = 0; done < length; )
        {
            ensureSpace(1);
            final int n = (int)Math.min(length - done, BUFFER_BYTES - used);
            buffer.setMemory(used, n, (byte)0);
            used += n;
            done += n;
        }
    }

    /**
     * Writes random bytes.
     *
     * @param length number of bytes.
     * @param random source of the bytes.
     * @param crc    when not null, the written bytes are added to it with {@link Crc32c#update}.
     */
    public void putRandom(final long length, final SplitMix64 random, final Crc32c crc)
    {
        for (long done = 0; done < length; )
        {
            ensureSpace(Long.BYTES);
            final long left = length - done;
            final int space = (BUFFER_BYTES - used) & ~(Long.BYTES - 1);
            final int n = (int)Math.min(left, space);
            fillRandom(used, n, random);
            if (null != crc)
            {
                crc.update(byteBuffer, used, n);
            }

            used += n;
            done += n;
        }
    }

    /**
     * Writes what is buffered and closes the current file, if one is open.
     */
    @Override
    public void close()
    {
        if (null != channel)
        {
            try
            {
                flush();
                channel.close();
            }
            catch (final IOException ex)
            {
                throw new DatasetException(file, "cannot write", ex);
            }
            finally
            {
                channel = null;
            }
        }
    }

    private void fillRandom(final int index, final int length, final SplitMix64 random)
    {
        final int whole = length & ~(Long.BYTES - 1);
        for (int i = 0; i < whole; i += Long.BYTES)
        {
            buffer.putLong(index + i, random.nextLong(), ByteOrder.LITTLE_ENDIAN);
        }

        if (whole < length)
        {
            long bits = random.nextLong();
            for (int i = whole; i < length; i++)
            {
                buffer.putByte(index + i, (byte)bits);
                bits >>>= 8;
            }
        }
    }

    private void ensureSpace(final int bytes)
    {
        if (BUFFER_BYTES - used < bytes)
        {
            try
            {
                flush();
            }
            catch (final IOException ex)
            {
                throw new DatasetException(file, "cannot write", ex);
            }
        }
    }

    private void flush() throws IOException
    {
        byteBuffer.limit(used).position(0);
        while (byteBuffer.hasRemaining())
        {
            channel.write(byteBuffer);
        }

        byteBuffer.clear();
        flushedBytes += used;
        used = 0;
    }
}
