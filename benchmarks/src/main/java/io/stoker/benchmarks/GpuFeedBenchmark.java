package io.stoker.benchmarks;

import io.stoker.dataset.Sizes;
import io.stoker.launcher.LocalCluster;
import io.stoker.worker.SinkFactory;
import io.stoker.worker.gpu.Cuda;
import io.stoker.worker.gpu.CudaDevice;
import io.stoker.worker.gpu.GpuSinkFactory;
import jcuda.driver.JCudaDriver;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The GPU hand-off end to end, in one run on one GPU: the raw ceiling (pinned {@code cuMemcpyHtoDAsync}
 * of 4 MiB buffers over several streams, no Stoker), then {@code stoker local --sink gpu} (the same
 * {@link LocalCluster}, every rank on the device) feeding the same total bytes from the page cache:
 * once as fast as the consumers take them, once with consumers that hold each chunk for a training
 * step so that together they ask for a fraction of the ceiling. Prints the GPU model, both rates in
 * GB/s, their ratio, and the consumer's wait for data as % of wall time (the worst rank's), against the
 * targets: the feed at least 0.9x the ceiling, the paced consumer's wait under 1%. Feeds are timed from
 * the first chunk consumed to the last, as the ceiling's copies are timed without their set-up. Without
 * a CUDA device it prints why and exits 0.
 * <p>
 * {@code java <stoker JVM flags> -cp benchmarks/target/stoker-benchmarks.jar io.stoker.benchmarks.GpuFeedBenchmark
 * [SIZE (2GiB)] [WORKERS (2)] [EPOCHS (4)] [STREAMS (4)] [DEMAND (0.8)] [DEVICE (0)]}
 */
public final class GpuFeedBenchmark
{
    private static final int CHUNK_BYTES = 4 << 20;
    private static final int CEILING_BUFFERS = 8;

    public static void main(final String[] args) throws InterruptedException
    {
        final long size = Sizes.parse(LocalFeedBenchmark.arg(args, 0, "2GiB"));
        final int workers = Integer.parseInt(LocalFeedBenchmark.arg(args, 1, "2"));
        final int epochs = Integer.parseInt(LocalFeedBenchmark.arg(args, 2, "4"));
        final int streams = Integer.parseInt(LocalFeedBenchmark.arg(args, 3, "4"));
        final double demand = Double.parseDouble(LocalFeedBenchmark.arg(args, 4, "0.8"));
        final int deviceId = Integer.parseInt(LocalFeedBenchmark.arg(args, 5, "0"));
        final String reason = Cuda.unavailableReason();
        if (null != reason)
        {
            System.out.println("gpu feed benchmark: no CUDA device: " + reason);
            return;
        }

        final CudaDevice device = CudaDevice.open(deviceId);
        final int[] driver = new int[1];
        Cuda.check(JCudaDriver.cuDriverGetVersion(driver), "cuDriverGetVersion");
        final BenchDataset dataset = BenchDataset.prepare(
            Path.of("benchmarks/target/bench-data/fixed-" + size), "fixed:4096", size, CHUNK_BYTES);
        final long totalBytes = dataset.manifest.totalBytes() * epochs;
        System.out.printf("gpu feed: %s, CUDA driver %d.%d; %s x %d epochs = %s in chunks of 4 MiB, %d workers%n",
            device, driver[0] / 1000, driver[0] % 1000 / 10, Sizes.format(dataset.manifest.totalBytes()), epochs,
            Sizes.format(totalBytes), workers);

        final double ceiling =
            totalBytes / HostToDeviceCeiling.seconds(device, totalBytes, CHUNK_BYTES, CEILING_BUFFERS, streams);
        final Feed free = feed(dataset, device, workers, epochs, 0);
        final long stepNs = Math.round(workers * (double)CHUNK_BYTES / (demand * ceiling) * 1e9);
        final Feed paced = feed(dataset, device, workers, epochs, stepNs);

        System.out.printf("%nGPU: %s%n", device.name());
        System.out.printf("  raw ceiling: pinned cuMemcpyHtoDAsync, %d x 4 MiB, %d streams  %6.2f GB/s%n",
            CEILING_BUFFERS, streams, ceiling / 1e9);
        System.out.printf("  stoker local --sink gpu                                     %6.2f GB/s  = %.2fx the " +
            "ceiling (target 0.90x: %s); consumer waited %.2f%% of wall time%n",
            free.bytesPerSecond / 1e9, free.bytesPerSecond / ceiling, verdict(free.bytesPerSecond >= 0.9 * ceiling),
            free.waitPercent);
        System.out.printf("  ... consumers asking %.2fx the ceiling (step %d us per chunk)    %6.2f GB/s; consumer " +
            "waited %.2f%% of wall time (target under 1%%: %s)%n",
            demand, TimeUnit.NANOSECONDS.toMicros(stepNs), paced.bytesPerSecond / 1e9, paced.waitPercent,
            verdict(paced.waitPercent < 1));
        System.out.printf("  as commands: stoker local --dataset %s --sink gpu --device %d --workers %d --epochs %d " +
            "--chunk-size 4MiB [--step-time %d]%n",
            dataset.directory, deviceId, workers, epochs, TimeUnit.NANOSECONDS.toMicros(stepNs));
    }

    /**
     * Feed the dataset into GPU sinks on the device, each consumer holding a chunk {@code stepNs}.
     */
    private static Feed feed(
        final BenchDataset dataset, final CudaDevice device, final int workers, final int epochs, final long stepNs)
        throws InterruptedException
    {
        final SinkFactory<?> sink = new GpuSinkFactory(device.id());
        final LocalCluster.Settings settings = new LocalCluster.Settings(dataset.directory, dataset.manifest)
            .workers(workers)
            .epochs(epochs)
            .sink(sink)
            .stepNs(stepNs);
        final TimedFeed timed = TimedFeed.run(settings);
        final long windowNs = timed.windowNs() + stepNs;
        long worstWaitNs = 0;
        for (final long waitNs : timed.consumerWaitNs())
        {
            worstWaitNs = Math.max(worstWaitNs, waitNs);
        }
        final Feed feed = new Feed(timed.bytes() / (windowNs / 1e9), 100.0 * worstWaitNs / windowNs);
        System.out.printf("stoker local --sink gpu%s: %.2f GB/s, consumer waited %.2f%%%n",
            stepNs > 0 ? " --step-time " + TimeUnit.NANOSECONDS.toMicros(stepNs) : "",
            feed.bytesPerSecond / 1e9, feed.waitPercent);
        return feed;
    }

    private static String verdict(final boolean met)
    {
        return met ? "met" : "NOT met";
    }

    private record Feed(double bytesPerSecond, double waitPercent)
    {
    }

    private GpuFeedBenchmark()
    {
    }
}
