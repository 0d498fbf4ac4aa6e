package io.stoker.launcher;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.text.DecimalFormat;

/**
 * The progress bar of a run: bytes delivered out of bytes planned, with live GB/s, on standard error.
 */
final class ProgressDisplay implements AutoCloseable
{
    private static final long GB = 1_000_000_000L;

    private final ProgressBar bar;

    /**
     * @param enabled    false draws nothing.
     * @param totalBytes bytes the run will deliver.
     */
    ProgressDisplay(final boolean enabled, final long totalBytes)
    {
        bar = enabled ? new ProgressBarBuilder()
            .setTaskName("feeding")
            .setInitialMax(totalBytes)
            .setUnit(" GB", GB)
            .showSpeed(new DecimalFormat("0.00"))
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(200)
            .build() : null;
    }

    void update(final long bytesDelivered)
    {
        if (null != bar)
        {
            bar.stepTo(bytesDelivered);
        }
    }

    public void close()
    {
        if (null != bar)
        {
            bar.close();
        }
    }
}
