package io.stoker.worker.shm;

import io.stoker.worker.BufferPool;
import io.stoker.worker.ChunkSink;
import io.stoker.worker.Handoff;
import io.stoker.worker.HostMemoryAllocator;
import io.stoker.worker.gpu.DeviceChunk;
import io.stoker.worker.gpu.GpuSinkFactory;
import io.stoker.worker.gpu.IpcSlots;
import org.agrona.IoUtil;

import java.nio.file.Path;

/**
 * The GPU sink for a consumer in another process ({@code --sink shm-gpu}): chunks are copied to device slots, each
 * its own {@code cuMemAlloc} exported as a CUDA IPC memory handle in the channel's header, and each batch names
 * every sample's slot and offset within it. A chunk is delivered, and so published, only once its copy completed on
 * the worker's stream (its event was seen done), so whatever the consumer then runs on its own stream is ordered
 * after the copy; the consumer's release returns the slot.
 */
public final class ShmGpuSinkFactory implements ChannelSinkFactory<DeviceChunk>
{
    private final Path directory;
    private final GpuSinkFactory gpu;
    private volatile BufferPool pool;

    /**
     * @param directory where the channel goes, created if missing.
     * @param gpu       the device and its settings; its slots are exported.
     */
    public ShmGpuSinkFactory(final Path directory, final GpuSinkFactory gpu)
    {
        this.directory = directory;
        this.gpu = gpu.exportIpc(true);
        IoUtil.ensureDirectoryExists(directory.toFile(), "shared-memory channel");
    }

    /**
     * @return the GPU sink's factory.
     */
    public GpuSinkFactory gpu()
    {
        return gpu;
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
        return gpu.ipcSlots();
    }

    @Override
    public boolean isReady()
    {
        return null != pool && null != gpu.ipcSlots();
    }

    @Override
    public long offsetOf(final DeviceChunk chunk)
    {
        return 0;
    }

    @Override
    public int slotOf(final DeviceChunk chunk)
    {
        return chunk.slot();
    }

    @Override
    public HostMemoryAllocator allocator()
    {
        return gpu.allocator();
    }

    @Override
    public ChunkSink newSink(final BufferPool pool, final Handoff<DeviceChunk> next)
    {
        final ChunkSink sink = gpu.newSink(pool, next);
        this.pool = pool;
        return sink;
    }
}
