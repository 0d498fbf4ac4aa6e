package io.stoker.benchmarks;

import io.stoker.worker.gpu.Cuda;
import io.stoker.worker.gpu.CudaDevice;
import io.stoker.worker.gpu.PinnedMemoryAllocator;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;

/**
 * The raw ceiling of host-to-device copies on one device, no Stoker: pinned host buffers,
 * {@code cuMemcpyHtoDAsync} into as many device buffers on streams taken in turn, each buffer reused once
 * the event after its last copy has completed.
 */
final class HostToDeviceCeiling
{
    private HostToDeviceCeiling()
    {
    }

    /**
     * @param device      where to copy.
     * @param totalBytes  bytes to copy in all (after a warm-up of one round over the buffers).
     * @param bufferBytes bytes per copy.
     * @param buffers     host and device buffers.
     * @param streams     CUDA streams.
     * @return seconds the copies took.
     */
    static double seconds(
        final CudaDevice device, final long totalBytes, final int bufferBytes, final int buffers, final int streams)
    {
        device.makeCurrent();
        final PinnedMemoryAllocator allocator = new PinnedMemoryAllocator(device);
        final ByteBuffer host = allocator.allocate(bufferBytes * buffers);
        final Pointer[] hostBuffers = new Pointer[buffers];
        final CUdeviceptr[] deviceBuffers = new CUdeviceptr[buffers];
        final CUevent[] events = new CUevent[buffers];
        final CUstream[] streamsInTurn = new CUstream[streams];
        try
        {
            for (int i = 0; i < buffers; i++)
            {
                hostBuffers[i] = Pointer.to(host).withByteOffset((long)i * bufferBytes);
                deviceBuffers[i] = new CUdeviceptr();
                Cuda.check(JCudaDriver.cuMemAlloc(deviceBuffers[i], bufferBytes), "cuMemAlloc");
                events[i] = new CUevent();
                Cuda.check(
                    JCudaDriver.cuEventCreate(events[i], CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
            }
            for (int i = 0; i < streams; i++)
            {
                streamsInTurn[i] = new CUstream();
                Cuda.check(JCudaDriver.cuStreamCreate(streamsInTurn[i], CUstream_flags.CU_STREAM_NON_BLOCKING),
                    "cuStreamCreate");
            }

            copy(buffers * (long)bufferBytes, bufferBytes, hostBuffers, deviceBuffers, events, streamsInTurn);
            final long start = System.nanoTime();
            copy(totalBytes, bufferBytes, hostBuffers, deviceBuffers, events, streamsInTurn);
            return (System.nanoTime() - start) / 1e9;
        }
        finally
        {
            for (int i = 0; i < buffers; i++)
            {
                if (null != events[i])
                {
                    JCudaDriver.cuEventDestroy(events[i]);
                }
                if (null != deviceBuffers[i])
                {
                    JCudaDriver.cuMemFree(deviceBuffers[i]);
                }
            }
            for (final CUstream stream : streamsInTurn)
            {
                if (null != stream)
                {
                    JCudaDriver.cuStreamDestroy(stream);
                }
            }
            allocator.free(host);
        }
    }

    private static void copy(
        final long totalBytes,
        final int bufferBytes,
        final Pointer[] hostBuffers,
        final CUdeviceptr[] deviceBuffers,
        final CUevent[] events,
        final CUstream[] streams)
    {
        long copied = 0;
        for (int n = 0; copied < totalBytes; n++)
        {
            final int buffer = n % hostBuffers.length;
            final CUstream stream = streams[n % streams.length];
            final int length = (int)Math.min(bufferBytes, totalBytes - copied);
            if (n >= hostBuffers.length)
            {
                Cuda.check(JCudaDriver.cuEventSynchronize(events[buffer]), "cuEventSynchronize");
            }
            Cuda.check(JCudaDriver.cuMemcpyHtoDAsync(deviceBuffers[buffer], hostBuffers[buffer], length, stream),
                "cuMemcpyHtoDAsync");
            Cuda.check(JCudaDriver.cuEventRecord(events[buffer], stream), "cuEventRecord");
            copied += length;
        }
        for (final CUstream stream : streams)
        {
            Cuda.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        }
    }
}
