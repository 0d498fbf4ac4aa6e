package io.stoker.worker.gpu;

import io.stoker.worker.BufferPool;
import io.stoker.worker.ChunkSink;
import io.stoker.worker.Handoff;
import io.stoker.worker.HostMemoryAllocator;
import io.stoker.worker.SinkFactory;

/**
 * Makes a worker's {@link GpuSink} on one CUDA device: the pool in pinned host memory, device slots
 * as large as its buffers. One worker per GPU.
 *
 * <pre>{@code
 * final String reason = Cuda.unavailableReason();
 * final SinkFactory<?> sink = null == reason ? new GpuSinkFactory(0) : SinkFactory.HOST;
 * }</pre>
 */
public final class GpuSinkFactory implements SinkFactory<DeviceChunk>
{
    /**
     * Streams per worker unless told otherwise: copies alternate between them, so one copy's
     * verification kernel runs beside the next copy.
     */
    public static final int DEFAULT_STREAMS = 2;

    private final CudaDevice device;
    private final PinnedMemoryAllocator allocator;
    private final DeviceChecks checks = new DeviceChecks();
    private int streams = DEFAULT_STREAMS;
    private int deviceSlots;
    private boolean verifyOnDevice;
    private boolean exportIpc;
    private volatile IpcSlots ipcSlots;

    /**
     * @param deviceId the device's ordinal among the visible ones.
     * @throws IllegalStateException "no CUDA device: REASON" where CUDA cannot be used.
     * @throws IllegalArgumentException when there is no device of that ordinal.
     */
    public GpuSinkFactory(final int deviceId)
    {
        device = CudaDevice.open(deviceId);
        allocator = new PinnedMemoryAllocator(device);
    }

    /**
     * @param streams CUDA streams the sink's copies take in turn, at least 1.
     * @return this.
     */
    public GpuSinkFactory streams(final int streams)
    {
        this.streams = streams;
        return this;
    }

    /**
     * @param slots device slots per sink; 0 (the default) gives one per pool buffer.
     * @return this.
     */
    public GpuSinkFactory deviceSlots(final int slots)
    {
        this.deviceSlots = slots;
        return this;
    }

    /**
     * @param verify sum every slot on the device after its copy and compare with the host's sum of the
     *               same buffer: costs a pass over each buffer on the worker's thread; see {@link #checks()}.
     * @return this.
     */
    public GpuSinkFactory verifyOnDevice(final boolean verify)
    {
        this.verifyOnDevice = verify;
        return this;
    }

    /**
     * @param export export each sink's device slots as CUDA IPC memory handles for a consumer in another process
     *               (see {@link #ipcSlots()}).
     * @return this.
     */
    public GpuSinkFactory exportIpc(final boolean export)
    {
        this.exportIpc = export;
        return this;
    }

    /**
     * @return the last sink's slots as IPC handles once it was made with {@link #exportIpc(boolean)}, else null.
     * Safe from any thread.
     */
    public IpcSlots ipcSlots()
    {
        return ipcSlots;
    }

    @Override
    public HostMemoryAllocator allocator()
    {
        return allocator;
    }

    @Override
    public ChunkSink newSink(final BufferPool pool, final Handoff<DeviceChunk> next)
    {
        final int slots = deviceSlots > 0 ? deviceSlots : pool.capacity();
        final CudaSlots cudaSlots = new CudaSlots(device, pool, slots, streams, verifyOnDevice);
        if (exportIpc)
        {
            try
            {
                ipcSlots = IpcSlots.export(device.id(), pool.bufferLength(), cudaSlots);
            }
            catch (final RuntimeException ex)
            {
                cudaSlots.close();
                throw ex;
            }
        }
        return new GpuSink(pool, next, cudaSlots, device.id(), verifyOnDevice ? checks : null);
    }

    /**
     * @return the device the sinks copy to.
     */
    public CudaDevice device()
    {
        return device;
    }

    /**
     * @return whether the sinks verify on the device.
     */
    public boolean verifiesOnDevice()
    {
        return verifyOnDevice;
    }

    /**
     * @return what verification found so far, over every sink this factory made.
     */
    public DeviceChecks checks()
    {
        return checks;
    }

    /**
     * @return e.g. "gpu 0 (NVIDIA H100 80GB HBM3)".
     */
    public String description()
    {
        return device.toString();
    }
}
