package io.stoker.worker;

import org.agrona.IoUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The pool's memory as a file mapped shared, so that another process (a Python training loop) maps the same pages
 * and reads the chunks where the worker put them: no copy. Put the file on a memory file system ({@code /dev/shm})
 * or its pages are written back to a disk for nothing.
 */
public final class SharedMemoryAllocator implements HostMemoryAllocator
{
    private final Path file;

    /**
     * @param file where the pool lives; created, or truncated and grown, when the pool is allocated.
     */
    public SharedMemoryAllocator(final Path file)
    {
        this.file = file;
    }

    /**
     * @return the pool's file.
     */
    public Path file()
    {
        return file;
    }

    @Override
    public ByteBuffer allocate(final int length)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            channel.truncate(0);
            final MappedByteBuffer memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
            return memory;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot map the buffer pool in " + file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Unmaps the pool and removes its file; a consumer that still maps it keeps its pages until it unmaps them.
     */
    @Override
    public void free(final ByteBuffer buffer)
    {
        IoUtil.unmap(buffer);
        IoUtil.deleteIfExists(file.toFile());
    }

    @Override
    public String description()
    {
        return "shared memory in " + file;
    }
}
