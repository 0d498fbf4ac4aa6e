package io.stoker.benchmarks;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The simulated workers' flow control: at most {@code window} acknowledgements sent and not yet counted by the
 * coordinator, all workers together. The coordinator has none of its own: an acknowledgement that finds its
 * journal's ring full (1 MiB, about 26,000 records) is dropped, and a worker sends it again only when it registers
 * again, so a burst of acknowledgements larger than the ring stalls the epoch. Real workers acknowledge at their
 * consumers' pace; the simulation's, which take no time, keep within this window instead, so that what is measured
 * is the rate the coordinator counts at, not its drops.
 */
final class AckWindow
{
    private final long window;
    private final AtomicLong sent = new AtomicLong();
    private volatile LongSupplier counted = () -> 0;

    /**
     * @param window most acknowledgements sent and not yet counted.
     */
    AckWindow(final long window)
    {
        this.window = window;
    }

    /**
     * @param counted the coordinator's count of acknowledgements: its counter, as {@code stoker stat} reads it.
     */
    void counting(final LongSupplier counted)
    {
        this.counted = counted;
    }

    /**
     * @param wanted acknowledgements a worker has ready.
     * @return how many it may send now, taken from the window.
     */
    int take(final int wanted)
    {
        final long free = window - (sent.get() - counted.getAsLong());
        if (free <= 0)
        {
            return 0;
        }
        final int granted = (int)Math.min(wanted, free);
        sent.addAndGet(granted);
        return granted;
    }
}
