package io.stoker.worker.gpu;

import jcuda.driver.CUdeviceptr;

/**
 * A {@link CUdeviceptr} whose address can be read once the driver filled it in (JCuda keeps it protected).
 */
final class DevicePointer extends CUdeviceptr
{
    long address()
    {
        return getNativePointer() + getByteOffset();
    }
}
