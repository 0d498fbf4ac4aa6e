package io.stoker.worker.shm;

import io.stoker.worker.BufferPool;
import io.stoker.worker.ChunkSink;
import io.stoker.worker.Handoff;
import io.stoker.worker.HostChunk;
import io.stoker.worker.HostMemoryAllocator;
import io.stoker.worker.HostSink;
import io.stoker.worker.SharedMemoryAllocator;
import io.stoker.worker.gpu.IpcSlots;
import org.agrona.BufferUtil;
import org.agrona.IoUtil;

import java.nio.file.Path;

/**
 * The host sink over a pool in shared memory ({@code DIR/pool}): chunks stay where they were read, and a
 * {@link ShmFeedAgent} hands the batches to a consumer in another process through {@code DIR/channel}.
 */
public final class ShmSinkFactory implements ChannelSinkFactory<HostChunk>
{
    /**
     * Name of the pool's file in the channel's directory.
     */
    public static final String POOL_FILE = "pool";

    /**
     * Name of the channel's file in the channel's directory.
     */
    public static final String CHANNEL_FILE = "channel";

    private final Path directory;
    private final SharedMemoryAllocator allocator;
    private volatile BufferPool pool;

    /**
     * @param directory where the pool and the channel live, created if missing; on /dev/shm for memory speed.
     */
    public ShmSinkFactory(final Path directory)
    {
        this.directory = directory;
        IoUtil.ensureDirectoryExists(directory.toFile(), "shared-memory channel");
        allocator = new SharedMemoryAllocator(directory.resolve(POOL_FILE));
    }

    @Override
    public Path directory()
    {
        return directory;
    }

    @Override
    public BufferPool pool()
    {
        return pool;
    }

    @Override
    public IpcSlots ipcSlots()
    {
        return null;
    }

    @Override
    public long offsetOf(final HostChunk chunk)
    {
        return BufferUtil.address(chunk.byteBuffer()) - BufferUtil.address(pool.memory());
    }

    @Override
    public int slotOf(final HostChunk chunk)
    {
        return 0;
    }

    @Override
    public HostMemoryAllocator allocator()
    {
        return allocator;
    }

    @Override
    public ChunkSink newSink(final BufferPool pool, final Handoff<HostChunk> next)
    {
        final HostSink sink = new HostSink(pool, next);
        this.pool = pool;
        return sink;
    }
}
