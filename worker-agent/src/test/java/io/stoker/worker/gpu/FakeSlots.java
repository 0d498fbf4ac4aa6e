package io.stoker.worker.gpu;

import jcuda.driver.CUdeviceptr;

import java.util.ArrayList;
import java.util.List;

/**
 * Device slots without a device, for the sink's bookkeeping: copies complete when the test says so, and
 * a copy into a slot whose last copy has not completed fails the test.
 */
final class FakeSlots implements DeviceSlots
{
    static final long BASE_ADDRESS = 0x7f00_0000_0000L;

    final List<int[]> copies = new ArrayList<>();
    private final boolean[] inFlight;
    private final boolean[] complete;
    private final long[] sums;
    private final CUdeviceptr[] pointers;
    boolean closed;

    FakeSlots(final int count)
    {
        inFlight = new boolean[count];
        complete = new boolean[count];
        sums = new long[count];
        pointers = new CUdeviceptr[count];
        for (int i = 0; i < count; i++)
        {
            pointers[i] = new CUdeviceptr();
        }
    }

    @Override
    public int count()
    {
        return inFlight.length;
    }

    @Override
    public void copy(final int slot, final int hostBuffer, final int length)
    {
        if (inFlight[slot])
        {
            throw new AssertionError("copy into slot " + slot + " while its last copy is in flight");
        }
        inFlight[slot] = true;
        complete[slot] = false;
        copies.add(new int[]{ slot, hostBuffer, length });
    }

    @Override
    public boolean isComplete(final int slot)
    {
        if (complete[slot])
        {
            inFlight[slot] = false;
        }
        return complete[slot];
    }

    @Override
    public long deviceSum(final int slot)
    {
        return sums[slot];
    }

    @Override
    public CUdeviceptr pointer(final int slot)
    {
        return pointers[slot];
    }

    @Override
    public long address(final int slot)
    {
        return BASE_ADDRESS + ((long)slot << 24);
    }

    @Override
    public void close()
    {
        closed = true;
    }

    /**
     * Complete the slot's copy, the device having summed it to {@code sum}.
     */
    void complete(final int slot, final long sum)
    {
        if (!inFlight[slot])
        {
            throw new AssertionError("no copy in flight into slot " + slot);
        }
        complete[slot] = true;
        sums[slot] = sum;
    }

    void completeInFlight()
    {
        for (int slot = 0; slot < inFlight.length; slot++)
        {
            if (inFlight[slot] && !complete[slot])
            {
                complete(slot, 0);
            }
        }
    }

    void complete(final int slot)
    {
        complete(slot, 0);
    }

    /**
     * @return the slot of the n-th copy.
     */
    int slotOfCopy(final int n)
    {
        return copies.get(n)[0];
    }
}
