package io.stoker.transport.data;

import io.stoker.dataset.RegularFiles;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file mapped read-only, in segments of at most 1 GiB because a Java mapping cannot exceed 2 GiB.
 * The mapping stays for the region's life, so only the first read of a page faults.
 */
public final class MappedRegion implements AutoCloseable
{
    private static final int SEGMENT_SHIFT = 30;
    private static final long SEGMENT_LENGTH = 1L << SEGMENT_SHIFT;

    private final Path path;
    private final long length;
    private final MappedByteBuffer[] mappings;
    private final UnsafeBuffer[] segments;

    /**
     * Map {@code path} read-only.
     *
     * @param path           the file.
     * @param expectedLength the length the file must have, or -1 to take whatever it has.
     * @throws UncheckedIOException naming the file when it is not a regular file (opening a named pipe would block),
     *                              cannot be opened, mapped, or has the wrong length.
     */
    public MappedRegion(final Path path, final long expectedLength)
    {
        this.path = path;
        final String notRegular = RegularFiles.whyNotRegular(path);
        if (null != notRegular)
        {
            final String message = path + ": " + notRegular;
            throw new UncheckedIOException(message, new IOException(message));
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            length = channel.size();
            if (expectedLength >= 0 && length != expectedLength)
            {
                throw new IOException(
                    path + ": is " + length + " bytes but was advertised as " + expectedLength + " (file changed?)");
            }
            final int count = (int)((length + SEGMENT_LENGTH - 1) >>> SEGMENT_SHIFT);
            mappings = new MappedByteBuffer[count];
            segments = new UnsafeBuffer[count];
            for (int i = 0; i < count; i++)
            {
                final long position = (long)i << SEGMENT_SHIFT;
                final long size = Math.min(SEGMENT_LENGTH, length - position);
                mappings[i] = channel.map(FileChannel.MapMode.READ_ONLY, position, size);
                segments[i] = new UnsafeBuffer(mappings[i]);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex.getMessage() != null && ex.getMessage().startsWith(path.toString()) ?
                ex.getMessage() : path + ": " + ex, ex);
        }
    }

    /**
     * @return the file's length in bytes.
     */
    public long length()
    {
        return length;
    }

    /**
     * @return the mapped file.
     */
    public Path path()
    {
        return path;
    }

    /**
     * @param offset first byte.
     * @param count  bytes.
     * @return true when {@code [offset, offset + count)} lies inside the file; no sum is formed, so an offset
     *         near {@link Long#MAX_VALUE} cannot overflow into range.
     */
    public boolean contains(final long offset, final int count)
    {
        return offset >= 0 && count >= 0 && offset <= length - count;
    }

    /**
     * Copy a range out of the file. The range must satisfy {@link #contains}.
     */
    public void copy(
        final long offset, final int count, final MutableDirectBuffer destination, final int destinationOffset)
    {
        long position = offset;
        int copied = 0;
        while (copied < count)
        {
            final int segment = (int)(position >>> SEGMENT_SHIFT);
            final int segmentOffset = (int)(position & (SEGMENT_LENGTH - 1));
            final int part = (int)Math.min(count - copied, SEGMENT_LENGTH - segmentOffset);
            destination.putBytes(destinationOffset + copied, segments[segment], segmentOffset, part);
            copied += part;
            position += part;
        }
    }

    @Override
    public void close()
    {
        for (final MappedByteBuffer mapping : mappings)
        {
            IoUtil.unmap(mapping);
        }
    }
}
