package io.stoker.worker.gpu;

import jcuda.Pointer;

/**
 * A JCuda {@link Pointer} to host memory by address, and the address of one the driver filled in:
 * JCuda keeps both constructor and address protected.
 */
final class HostPointer extends Pointer
{
    HostPointer()
    {
    }

    HostPointer(final long address)
    {
        super(address);
    }

    long address()
    {
        return getNativePointer() + getByteOffset();
    }
}
