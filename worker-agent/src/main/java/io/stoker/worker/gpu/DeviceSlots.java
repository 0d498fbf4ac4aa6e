package io.stoker.worker.gpu;

import jcuda.driver.CUdeviceptr;

/**
 * The device side of a {@link GpuSink}: a fixed set of slots in device memory, each as large as a pool
 * buffer, and the asynchronous copies into them. The sink decides which slot takes which buffer and
 * when; this only talks to the driver. A seam, so that bookkeeping is tested without a GPU.
 */
interface DeviceSlots extends AutoCloseable
{
    /**
     * @return how many slots there are.
     */
    int count();

    /**
     * Start copying a pool buffer into a slot, and when verifying, summing the slot on the device after
     * it; returns at once.
     *
     * @param slot       a slot not in use.
     * @param hostBuffer the pool buffer's index; it must stay untouched until {@link #isComplete(int)}.
     * @param length     bytes to copy.
     */
    void copy(int slot, int hostBuffer, int length);

    /**
     * @return true once the slot's last copy (and sum) has completed, false while it runs.
     * @throws IllegalStateException when the device reported an error.
     */
    boolean isComplete(int slot);

    /**
     * @return the {@link WordSum} the device computed over the slot's last copy: valid once complete,
     * and only when verifying.
     */
    long deviceSum(int slot);

    /**
     * @return the slot's device memory.
     */
    CUdeviceptr pointer(int slot);

    /**
     * @return the slot's device address.
     */
    long address(int slot);

    /**
     * Wait for what is in flight and free the device memory.
     */
    @Override
    void close();
}
