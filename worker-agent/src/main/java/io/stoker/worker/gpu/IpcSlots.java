package io.stoker.worker.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUipcMemHandle;
import jcuda.driver.JCudaDriver;

import java.lang.reflect.Field;
import java.util.Arrays;

/**
 * A GPU sink's device slots exported for another process on the same host: one {@code CUipcMemHandle} (64 bytes)
 * per slot, taken with {@code cuIpcGetMemHandle} on the slot's own {@code cuMemAlloc}, so each slot is the base of
 * its allocation (the handle names the allocation, not an address inside it). The other process opens each handle
 * once ({@code cudaIpcOpenMemHandle}) and must close it before the worker frees the slots.
 */
public final class IpcSlots
{
    /** Bytes of one {@code CUipcMemHandle}. */
    public static final int HANDLE_LENGTH = 64;

    private final int deviceId;
    private final int slotLength;
    private final byte[][] handles;

    /**
     * @param deviceId   the device's ordinal.
     * @param slotLength bytes per slot.
     * @param handles    each slot's handle, {@link #HANDLE_LENGTH} bytes.
     */
    public IpcSlots(final int deviceId, final int slotLength, final byte[][] handles)
    {
        for (final byte[] handle : handles)
        {
            if (HANDLE_LENGTH != handle.length)
            {
                throw new IllegalArgumentException("an IPC handle is " + HANDLE_LENGTH + " bytes, was " +
                    handle.length);
            }
        }
        this.deviceId = deviceId;
        this.slotLength = slotLength;
        this.handles = handles.clone();
    }

    /**
     * Export every slot; the device's context must be current on the calling thread.
     */
    static IpcSlots export(final int deviceId, final int slotLength, final DeviceSlots slots)
    {
        final byte[][] handles = new byte[slots.count()][];
        for (int slot = 0; slot < handles.length; slot++)
        {
            handles[slot] = handleOf(slots.pointer(slot), slot);
        }
        return new IpcSlots(deviceId, slotLength, handles);
    }

    private static byte[] handleOf(final CUdeviceptr pointer, final int slot)
    {
        final CUipcMemHandle handle = new CUipcMemHandle();
        Cuda.check(JCudaDriver.cuIpcGetMemHandle(handle, pointer), "cuIpcGetMemHandle of device slot " + slot);
        try
        {
            // JCuda keeps the handle's bytes private and offers no getter.
            final Field reserved = CUipcMemHandle.class.getDeclaredField("reserved");
            reserved.setAccessible(true);
            final byte[] bytes = (byte[])reserved.get(handle);
            return Arrays.copyOf(bytes, HANDLE_LENGTH);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException("cannot read the bytes of JCuda's CUipcMemHandle", ex);
        }
    }

    /**
     * @return the device's ordinal.
     */
    public int deviceId()
    {
        return deviceId;
    }

    /**
     * @return bytes per slot.
     */
    public int slotLength()
    {
        return slotLength;
    }

    /**
     * @return how many slots.
     */
    public int count()
    {
        return handles.length;
    }

    /**
     * @param slot a slot, 0 to {@link #count()} - 1.
     * @return a copy of its handle's 64 bytes.
     */
    public byte[] handle(final int slot)
    {
        return handles[slot].clone();
    }
}
