package io.stoker.worker.gpu;

import io.stoker.worker.BufferPool;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Device slots through the CUDA driver: one {@code cuMemAlloc} per slot, an event per slot, and a few
 * non-blocking streams the copies take in turn. Every handle and argument list is made up front, so a
 * copy allocates nothing. Used from the worker's thread, where the device's context is current.
 */
final class CudaSlots implements DeviceSlots
{
    private final CudaDevice device;
    private final DevicePointer[] slots;
    private final CUevent[] events;
    private final CUstream[] streams;
    private final HostPointer[] hostBuffers;
    private int nextStream;

    private final WordSumKernel kernel;
    private final DevicePointer[] deviceSums;
    private final HostPointer hostSums;
    private final UnsafeBuffer hostSumValues;
    private final HostPointer[] hostSumOf;
    private final long[][] lengthArguments;
    private final Pointer[] kernelArguments;

    /**
     * @param device  where the slots live; its context is made current on the calling thread.
     * @param pool    the pinned buffers copies come from.
     * @param count   slots, each {@link BufferPool#bufferLength()} bytes.
     * @param streams streams the copies take in turn.
     * @param verify  whether to sum every slot on the device after its copy.
     */
    CudaSlots(final CudaDevice device, final BufferPool pool, final int count, final int streams, final boolean verify)
    {
        if (count < 1 || streams < 1)
        {
            throw new IllegalArgumentException("a GPU sink needs at least one slot and one stream");
        }
        this.device = device;
        slots = new DevicePointer[count];
        events = new CUevent[count];
        this.streams = new CUstream[streams];
        hostBuffers = new HostPointer[pool.capacity()];
        deviceSums = verify ? new DevicePointer[count] : null;
        hostSumOf = verify ? new HostPointer[count] : null;
        lengthArguments = verify ? new long[count][1] : null;
        kernelArguments = verify ? new Pointer[count] : null;
        hostSums = verify ? new HostPointer() : null;

        device.makeCurrent();
        try
        {
            for (int i = 0; i < hostBuffers.length; i++)
            {
                hostBuffers[i] = new HostPointer(pool.buffer(i).addressOffset());
            }
            for (int i = 0; i < streams; i++)
            {
                final CUstream stream = new CUstream();
                Cuda.check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
                this.streams[i] = stream;
            }
            for (int i = 0; i < count; i++)
            {
                final DevicePointer slot = new DevicePointer();
                Cuda.check(JCudaDriver.cuMemAlloc(slot, pool.bufferLength()),
                    "cuMemAlloc of device slot " + i + " (" + pool.bufferLength() + " bytes)");
                slots[i] = slot;
                final CUevent event = new CUevent();
                Cuda.check(JCudaDriver.cuEventCreate(event, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
                events[i] = event;
            }
            if (verify)
            {
                Cuda.check(JCudaDriver.cuMemHostAlloc(hostSums, (long)Long.BYTES * count, 0), "cuMemHostAlloc");
                for (int i = 0; i < count; i++)
                {
                    final DevicePointer sum = new DevicePointer();
                    Cuda.check(JCudaDriver.cuMemAlloc(sum, Long.BYTES), "cuMemAlloc");
                    deviceSums[i] = sum;
                    hostSumOf[i] = new HostPointer(hostSums.address() + (long)Long.BYTES * i);
                    kernelArguments[i] = WordSumKernel.arguments(slots[i], lengthArguments[i], sum);
                }
                hostSumValues = new UnsafeBuffer(hostSums.address(), Long.BYTES * count);
                kernel = new WordSumKernel(device);
            }
            else
            {
                hostSumValues = null;
                kernel = null;
            }
        }
        catch (final RuntimeException ex)
        {
            release();
            throw ex;
        }
    }

    @Override
    public int count()
    {
        return slots.length;
    }

    @Override
    public void copy(final int slot, final int hostBuffer, final int length)
    {
        final CUstream stream = streams[nextStream];
        nextStream = nextStream + 1 == streams.length ? 0 : nextStream + 1;
        Cuda.check(JCudaDriver.cuMemcpyHtoDAsync(slots[slot], hostBuffers[hostBuffer], length, stream),
            "cuMemcpyHtoDAsync");
        if (null != kernel)
        {
            Cuda.check(JCudaDriver.cuMemsetD32Async(deviceSums[slot], 0, 2, stream), "cuMemsetD32Async");
            lengthArguments[slot][0] = length;
            kernel.launch(kernelArguments[slot], length, stream);
            Cuda.check(JCudaDriver.cuMemcpyDtoHAsync(hostSumOf[slot], deviceSums[slot], Long.BYTES, stream),
                "cuMemcpyDtoHAsync");
        }
        Cuda.check(JCudaDriver.cuEventRecord(events[slot], stream), "cuEventRecord");
    }

    @Override
    public boolean isComplete(final int slot)
    {
        final int result = JCudaDriver.cuEventQuery(events[slot]);
        if (CUresult.CUDA_ERROR_NOT_READY == result)
        {
            return false;
        }
        Cuda.check(result, "cuEventQuery");
        return true;
    }

    @Override
    public long deviceSum(final int slot)
    {
        return hostSumValues.getLong(Long.BYTES * slot);
    }

    @Override
    public CUdeviceptr pointer(final int slot)
    {
        return slots[slot];
    }

    @Override
    public long address(final int slot)
    {
        return slots[slot].address();
    }

    @Override
    public void close()
    {
        device.makeCurrent();
        Cuda.check(release(), "freeing the GPU sink's device memory");
    }

    /**
     * Wait for the streams, then free whatever was made.
     *
     * @return the first error, or success.
     */
    private int release()
    {
        int first = CUresult.CUDA_SUCCESS;
        for (final CUstream stream : streams)
        {
            if (null != stream)
            {
                first = firstError(first, JCudaDriver.cuStreamSynchronize(stream));
                first = firstError(first, JCudaDriver.cuStreamDestroy(stream));
            }
        }
        for (int i = 0; i < slots.length; i++)
        {
            if (null != events[i])
            {
                first = firstError(first, JCudaDriver.cuEventDestroy(events[i]));
            }
            if (null != slots[i])
            {
                first = firstError(first, JCudaDriver.cuMemFree(slots[i]));
            }
            if (null != deviceSums && null != deviceSums[i])
            {
                first = firstError(first, JCudaDriver.cuMemFree(deviceSums[i]));
            }
        }
        if (null != hostSums && 0 != hostSums.address())
        {
            first = firstError(first, JCudaDriver.cuMemFreeHost(hostSums));
        }
        if (null != kernel)
        {
            kernel.close();
        }
        return first;
    }

    private static int firstError(final int first, final int result)
    {
        return CUresult.CUDA_SUCCESS != first ? first : result;
    }
}
