package io.stoker.launcher;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress bar of a run on standard error: MiB delivered out of MiB planned, and the live
 * throughput in GB/s over the last second or so.
 */
final class ProgressDisplay implements AutoCloseable
{
    private static final long MIB = 1024 * 1024;
    private static final long WINDOW_NS = 1_000_000_000L;

    private final ProgressBar bar;
    private long windowStartNs = System.nanoTime();
    private long windowStartBytes;

    /**
     * @param enabled    false draws nothing.
     * @param totalBytes bytes the run will deliver.
     */
    ProgressDisplay(final boolean enabled, final long totalBytes)
    {
        bar = enabled ? new ProgressBarBuilder()
            .setTaskName("feeding")
            .setInitialMax(totalBytes)
            .setUnit(" MiB", MIB)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(200)
            .build() : null;
    }

    void update(final long bytesDelivered)
    {
        if (null == bar)
        {
            return;
        }
        bar.stepTo(bytesDelivered);
        final long nowNs = System.nanoTime();
        final long elapsedNs = nowNs - windowStartNs;
        if (elapsedNs >= WINDOW_NS / 4)
        {
            bar.setExtraMessage(String.format(" %.2f GB/s", (bytesDelivered - windowStartBytes) / (double)elapsedNs));
            if (elapsedNs >= WINDOW_NS)
            {
                windowStartNs = nowNs;
                windowStartBytes = bytesDelivered;
            }
        }
    }

    @Override
    public void close()
    {
        if (null != bar)
        {
            bar.close();
        }
    }
}
