package io.stoker.dataset.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.RegularFiles;
import org.agrona.IoUtil;

/**
 * Read access to a shard file through a window of memory mapped read-only, remapped as reads move along the file,
 * so files of any size are read without copying; or to bytes of a shard already in memory, such as a chunk a worker
 * read, which a format scans as if they were the whole file.
 * <p>
 * Usage: {@code final int index = shard.map(offset, length);} then read {@code shard.buffer()} (little-endian) at
 * {@code index}. The buffer and index stay valid until the next {@code map} or {@code close}.
 */
public final class ShardInput implements AutoCloseable
{
    private static final long WINDOW_BYTES = 256L << 20;

    private final Path file;
    private final FileChannel channel;
    private final long length;
    private final boolean inMemory;
    private ByteBuffer mapped;
    private long mapStart;
    private long mapEnd;

    /**
     * Opens a shard file for reading.
     *
     * @param file the shard file.
     * @throws DatasetException naming the file when it is not a regular file or cannot be opened.
     */
    public ShardInput(final Path file)
    {
        this.file = file;
        RegularFiles.require(file);
        try
        {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            length = channel.size();
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new DatasetException(file, "cannot read", ex);
        }
        inMemory = false;
    }

    /**
     * Reads bytes already in memory as if they were a whole file: offsets count from the first byte of
     * {@code bytes}. Nothing is copied; the bytes must not change while they are read.
     *
     * @param file   the file the bytes came from, named in errors.
     * @param bytes  the bytes, from index 0.
     * @param length how many of them to read, at most the buffer's capacity.
     */
    public ShardInput(final Path file, final ByteBuffer bytes, final int length)
    {
        if (length < 0 || length > bytes.capacity())
        {
            throw new IllegalArgumentException(length + " bytes of a buffer of " + bytes.capacity());
        }
        this.file = file;
        this.channel = null;
        this.length = length;
        this.inMemory = true;
        mapped = bytes.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
        mapStart = 0;
        mapEnd = length;
    }

    /**
     * The file being read.
     *
     * @return the file being read.
     */
    public Path file()
    {
        return file;
    }

    /**
     * Length of the file when it was opened.
     *
     * @return length in bytes.
     */
    public long length()
    {
        return length;
    }

    /**
     * Makes a range of the file readable in {@link #buffer()}. Check the range with {@link #require} first.
     *
     * @param offset byte offset of the range in the file.
     * @param length bytes in the range.
     * @return the index in {@link #buffer()} of the byte at {@code offset}.
     */
    public int map(final long offset, final int length)
    {
        if (null != mapped && offset >= mapStart && offset + length <= mapEnd)
        {
            return (int)(offset - mapStart);
        }

        if (inMemory || offset < 0 || length < 0 || offset + length > this.length)
        {
            throw new IllegalArgumentException(
                "range [" + offset + ", " + (offset + length) + ") outside " + file + " of " + this.length + " bytes");
        }

        unmap();
        final long size = Math.min(this.length - offset, Math.max(length, WINDOW_BYTES));
        try
        {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, offset, size);
        }
        catch (final IOException ex)
        {
            throw new DatasetException(file, "cannot map", ex);
        }

        mapped.order(ByteOrder.LITTLE_ENDIAN);
        mapStart = offset;
        mapEnd = offset + size;
        return 0;
    }

    /**
     * The mapped window set up by the last {@link #map}, in little-endian order.
     *
     * @return the mapped window.
     */
    public ByteBuffer buffer()
    {
        return mapped;
    }

    /**
     * Checks that the file holds {@code needed} bytes from {@code offset}.
     *
     * @param offset byte offset where the bytes start.
     * @param needed number of bytes needed.
     * @param what   what the bytes are, e.g. "record header".
     * @throws DatasetException naming the file and offset when it ends too soon.
     */
    public void require(final long offset, final long needed, final String what)
    {
        if (needed < 0 || offset + needed > length)
        {
            throw new DatasetException(file, offset, "truncated " + what + ": needs " + needed +
                " bytes, the file ends " + (length - offset) + " bytes after its start");
        }
    }

    /**
     * Checks that the file starts with a magic number.
     *
     * @param magic    the bytes the file must start with.
     * @param what     what they are, e.g. ".npy magic", for the message when the file is shorter.
     * @param mismatch the message when a byte differs, e.g. "not a .npy file: bad magic".
     * @throws DatasetException naming the file and the offset of the first byte that differs or is missing.
     */
    public void requireMagic(final byte[] magic, final String what, final String mismatch)
    {
        final int available = (int)Math.min(length, magic.length);
        final int index = available > 0 ? map(0, available) : 0;
        for (int i = 0; i < magic.length; i++)
        {
            require(0, i + 1, what);
            if (mapped.get(index + i) != magic[i])
            {
                throw new DatasetException(file, i, mismatch);
            }
        }
    }

    /**
     * Unmaps the window and closes the file.
     */
    @Override
    public void close()
    {
        if (inMemory)
        {
            return;
        }
        unmap();
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Read-only: nothing is lost when close fails.
        }
    }

    private void unmap()
    {
        if (null != mapped)
        {
            IoUtil.unmap(mapped);
            mapped = null;
        }
    }
}
