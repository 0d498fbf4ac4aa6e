package io.stoker.worker.gpu;

import io.stoker.worker.DirectMemoryAllocator;
import io.stoker.worker.HostMemoryAllocator;
import jcuda.driver.JCudaDriver;
import org.agrona.BufferUtil;

import java.nio.ByteBuffer;

/**
 * Page-locked host memory from {@code cuMemHostAlloc}, portable to every context: the GPU copies from it
 * by DMA, so {@code cuMemcpyHtoDAsync} is truly asynchronous, and the same memory is what RDMA
 * registers and the transports fill in place. Not write-combined: the worker reads every byte back for
 * the chunk's checksum, and reads from write-combined memory are uncached and slow.
 */
public final class PinnedMemoryAllocator implements HostMemoryAllocator
{
    private final CudaDevice device;

    /**
     * @param device whose context the allocation is made in (portable memory serves all of them).
     */
    public PinnedMemoryAllocator(final CudaDevice device)
    {
        this.device = device;
    }

    /**
     * @return a direct buffer over the pinned memory, aligned to a page.
     * @throws IllegalStateException when the driver refuses, e.g. more than the locked-memory limit.
     */
    @Override
    public ByteBuffer allocate(final int length)
    {
        device.makeCurrent();
        final HostPointer pointer = new HostPointer();
        Cuda.check(JCudaDriver.cuMemHostAlloc(pointer, length, JCudaDriver.CU_MEMHOSTALLOC_PORTABLE),
            "cuMemHostAlloc of " + length + " bytes");
        if (0 != (pointer.address() & (DirectMemoryAllocator.PAGE_SIZE - 1)))
        {
            JCudaDriver.cuMemFreeHost(pointer);
            throw new IllegalStateException("cuMemHostAlloc returned memory not aligned to a page");
        }
        return pointer.getByteBuffer(0, length);
    }

    @Override
    public void free(final ByteBuffer buffer)
    {
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemFreeHost(new HostPointer(BufferUtil.address(buffer))), "cuMemFreeHost");
    }

    @Override
    public String description()
    {
        return "pinned host memory (cuMemHostAlloc, portable)";
    }
}
