package io.stoker.worker.gpu;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA device and its primary context, retained once per process and never released: the context
 * the runtime API (and so a training framework in the same process) uses too, so device pointers pass
 * between them. CUDA makes a context current per thread: call {@link #makeCurrent()} on each thread
 * before it makes driver calls for this device.
 */
public final class CudaDevice
{
    private static final CudaDevice[] OPENED = new CudaDevice[64];

    private final int id;
    private final String name;
    private final CUcontext context = new CUcontext();

    private CudaDevice(final int id)
    {
        this.id = id;
        final CUdevice device = new CUdevice();
        Cuda.check(JCudaDriver.cuDeviceGet(device, id), "cuDeviceGet");
        Cuda.check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        name = Cuda.deviceName(id);
    }

    /**
     * @param id the device's ordinal among the visible devices.
     * @return the device, its primary context retained.
     * @throws IllegalStateException "no CUDA device: REASON" where CUDA cannot be used.
     * @throws IllegalArgumentException when there is no device of that ordinal.
     */
    public static synchronized CudaDevice open(final int id)
    {
        final String reason = Cuda.unavailableReason();
        if (null != reason)
        {
            throw new IllegalStateException("no CUDA device: " + reason);
        }
        final int count = Cuda.deviceCount();
        if (id < 0 || id >= count || id >= OPENED.length)
        {
            throw new IllegalArgumentException(
                "there is no CUDA device " + id + ": " + count + " visible (ordinals 0 to " + (count - 1) + ")");
        }
        if (null == OPENED[id])
        {
            OPENED[id] = new CudaDevice(id);
        }
        return OPENED[id];
    }

    /**
     * Make this device's context current on the calling thread.
     */
    public void makeCurrent()
    {
        Cuda.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /**
     * @return the device's ordinal.
     */
    public int id()
    {
        return id;
    }

    /**
     * @return the device's name, e.g. "NVIDIA H100 80GB HBM3".
     */
    public String name()
    {
        return name;
    }

    @Override
    public String toString()
    {
        return "gpu " + id + " (" + name + ")";
    }
}
