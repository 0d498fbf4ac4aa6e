package io.stoker.worker.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code --verify-on-device} found: chunks whose {@link WordSum} computed on the device matched the
 * host's over the same pool buffer, and those that did not, by chunk id. Written by the worker's thread,
 * read from any.
 */
public final class DeviceChecks
{
    private final AtomicLong matched = new AtomicLong();
    private final List<Mismatch> mismatches = new ArrayList<>();

    /**
     * A chunk whose bytes on the device differ from those on the host.
     *
     * @param hostSum   the word sum over the pool buffer before the copy.
     * @param deviceSum the word sum over the device slot after it.
     */
    public record Mismatch(int epoch, int chunkId, long hostSum, long deviceSum)
    {
    }

    void record(final int epoch, final int chunkId, final long hostSum, final long deviceSum)
    {
        if (hostSum == deviceSum)
        {
            matched.incrementAndGet();
        }
        else
        {
            synchronized (this)
            {
                mismatches.add(new Mismatch(epoch, chunkId, hostSum, deviceSum));
            }
        }
    }

    /**
     * @return chunks whose sums matched.
     */
    public long matched()
    {
        return matched.get();
    }

    /**
     * @return the chunks whose sums differed, in the order they were found.
     */
    public synchronized List<Mismatch> mismatches()
    {
        return List.copyOf(mismatches);
    }
}
