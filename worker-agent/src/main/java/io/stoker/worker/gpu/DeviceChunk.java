package io.stoker.worker.gpu;

import io.stoker.worker.DeliveredChunk;
import jcuda.driver.CUdeviceptr;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * A chunk delivered in device memory: its bytes are in a slot of the GPU sink, copied there from the
 * pinned pool buffer the transport filled. The copy has completed by the time the consumer sees the
 * chunk, so a kernel on any stream of the device's context may read it.
 * <p>
 * {@link #release()} hands the slot back and the next copy overwrites it, so release only once the
 * device work that reads the slot has finished (e.g. after synchronizing the stream it ran on).
 */
public final class DeviceChunk extends DeliveredChunk<DeviceChunk>
{
    private final int slot;
    private final int deviceId;
    private final CUdeviceptr pointer;
    private final long address;

    DeviceChunk(
        final int slot,
        final int deviceId,
        final CUdeviceptr pointer,
        final long address,
        final OneToOneConcurrentArrayQueue<DeviceChunk> released)
    {
        super(released);
        this.slot = slot;
        this.deviceId = deviceId;
        this.pointer = pointer;
        this.address = address;
    }

    DeviceChunk set(final int epoch, final int chunkId, final int length, final int crc)
    {
        deliver(epoch, chunkId, length, crc);
        return this;
    }

    /**
     * @return the chunk's first byte in device memory, for JCuda calls and kernel arguments.
     */
    public CUdeviceptr devicePointer()
    {
        return pointer;
    }

    /**
     * @return the same address as a number, for libraries that take a raw device pointer.
     */
    public long deviceAddress()
    {
        return address;
    }

    /**
     * @return the ordinal of the CUDA device the chunk is on.
     */
    public int deviceId()
    {
        return deviceId;
    }

    @Override
    protected DeviceChunk self()
    {
        return this;
    }

    /**
     * @return the sink's slot the chunk is in, from 0: its index among the slots a channel exports.
     */
    public int slot()
    {
        return slot;
    }
}
