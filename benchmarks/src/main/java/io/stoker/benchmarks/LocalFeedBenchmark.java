package io.stoker.benchmarks;

import io.stoker.dataset.Sizes;
import io.stoker.launcher.LocalCluster;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code stoker local} against the machine's own copy ceiling, in the same run, on the same bytes:
 * a single thread copying every chunk from the page cache into one buffer. Prints both in GB/s and
 * their ratio (the median of several rounds each).
 * <p>
 * {@code benchmarks/run local [SIZE (1GiB)] [WORKERS (2)] [EPOCHS (3)] [CHUNK (4MiB)] [ROUNDS (3)]}
 */
public final class LocalFeedBenchmark
{
    private static long startupNs;

    public static void main(final String[] args) throws Exception
    {
        final long size = Sizes.parse(arg(args, 0, "1GiB"));
        final int workers = Integer.parseInt(arg(args, 1, "2"));
        final int epochs = Integer.parseInt(arg(args, 2, "3"));
        final int chunkSize = (int)Sizes.parse(arg(args, 3, "4MiB"));
        final int rounds = Integer.parseInt(arg(args, 4, "3"));
        final BenchDataset dataset = BenchDataset.prepare(
            Path.of("benchmarks/target/bench-data/fixed-" + size), "fixed:4096", size, chunkSize);

        final double[] copy = new double[rounds];
        final double[] copyCrc = new double[rounds];
        final double[] feed = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            copy[round] = dataset.copy(epochs, false);
            copyCrc[round] = dataset.copy(epochs, true);
            feed[round] = feed(dataset, workers, epochs);
            System.out.printf("round %d: copy %.2f GB/s, copy+crc %.2f GB/s, stoker local %.2f GB/s " +
                "(first to last chunk; start-up took another %.0f ms)%n",
                round, copy[round] / 1e9, copyCrc[round] / 1e9, feed[round] / 1e9, startupNs / 1e6);
        }

        final double medianCopy = median(copy);
        final double medianFeed = median(feed);
        System.out.printf("%nlocal feed: %s, %d chunks of %s, %d workers, %d epochs, CRC32C checked on every chunk%n",
            Sizes.format(dataset.manifest.totalBytes()), dataset.manifest.chunkCount(), Sizes.format(chunkSize),
            workers, epochs);
        System.out.printf("  single-thread copy (memcpy ceiling)  %6.2f GB/s%n", medianCopy / 1e9);
        System.out.printf("  single-thread copy + CRC32C          %6.2f GB/s%n", median(copyCrc) / 1e9);
        System.out.printf("  stoker local                         %6.2f GB/s  = %.2fx the copy%n",
            medianFeed / 1e9, medianFeed / medianCopy);
    }

    private static double feed(final BenchDataset dataset, final int workers, final int epochs) throws Exception
    {
        final TimedFeed feed = TimedFeed.run(new LocalCluster.Settings(dataset.directory, dataset.manifest)
            .workers(workers)
            .epochs(epochs));
        startupNs = feed.startupNs();
        return feed.bytesPerSecond();
    }

    static String arg(final String[] args, final int index, final String defaultValue)
    {
        return args.length > index ? args[index] : defaultValue;
    }

    static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private LocalFeedBenchmark()
    {
    }
}
