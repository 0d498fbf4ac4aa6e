package io.stoker.worker.gpu;

import io.stoker.worker.BufferPool;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Device slots exported as CUDA IPC handles on a real device. Skipped, with the reason, where there is no CUDA device.
 */
@ExtendWith(RequiresCuda.class)
class IpcExportTest
{
    @Test
    void everySlotIsTheBaseOfItsOwnAllocationAndHasADistinctHandle()
    {
        final CudaDevice device = CudaDevice.open(0);
        try (BufferPool pool = new BufferPool(3, 1 << 20, new PinnedMemoryAllocator(device));
            CudaSlots slots = new CudaSlots(device, pool, 3, 1, false))
        {
            final IpcSlots exported = IpcSlots.export(device.id(), pool.bufferLength(), slots);
            assertEquals(3, exported.count());
            assertEquals(pool.bufferLength(), exported.slotLength());
            for (int slot = 0; slot < 3; slot++)
            {
                final DevicePointer base = new DevicePointer();
                final long[] size = new long[1];
                Cuda.check(JCudaDriver.cuMemGetAddressRange(base, size, slots.pointer(slot)), "cuMemGetAddressRange");
                assertEquals(slots.address(slot), base.address(), "slot " + slot + " is its allocation's base");
                assertEquals(pool.bufferLength(), size[0], "slot " + slot + "'s allocation is the slot");
                assertEquals(IpcSlots.HANDLE_LENGTH, exported.handle(slot).length);
                assertFalse(isZero(exported.handle(slot)), "slot " + slot + "'s handle");
            }
            assertNotEquals(Arrays.toString(exported.handle(0)), Arrays.toString(exported.handle(1)));
        }
    }

    private static boolean isZero(final byte[] bytes)
    {
        for (final byte b : bytes)
        {
            if (0 != b)
            {
                return false;
            }
        }
        return true;
    }
}
