package io.stoker.benchmarks;

import io.stoker.dataset.Sizes;
import io.stoker.launcher.LocalCluster;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code stoker local} against the machine's own copy ceiling, in the same run, on the same bytes:
 * a single thread copying every chunk from the page cache into one buffer. Prints both in GB/s and
 * their ratio (the median of several rounds each).
 * <p>
 * In the same rounds, on the same dataset, the batch path ({@code --batch-size B --shuffle-window K}, drop-last)
 * against the chunk feed (batch size 0): sample bytes the consumers received per second, both timed from the first
 * batch of the second epoch to the last (so that start-up, and the shuffle window a first batch waits for, are
 * left out as the once-per-job costs they are), and their ratio against the target of 0.9x. The two feeds run
 * back to back in each round, taking turns at going first, and the ratio is the median of the rounds' ratios: a
 * round's two feeds share the machine's load of the moment, which on a shared machine moves more between rounds
 * than between them.
 * <p>
 * {@code benchmarks/run local [SIZE (1GiB)] [WORKERS (2)] [EPOCHS (3)] [CHUNK (4MiB)] [ROUNDS (3)] [BATCH (256)]
 * [WINDOW (16)]}
 */
public final class LocalFeedBenchmark
{
    private static final double BATCH_TARGET = 0.9;

    public static void main(final String[] args) throws Exception
    {
        final long size = Sizes.parse(arg(args, 0, "1GiB"));
        final int workers = Integer.parseInt(arg(args, 1, "2"));
        final int epochs = Integer.parseInt(arg(args, 2, "3"));
        final String chunkArg = arg(args, 3, "4MiB");
        final int chunkSize = (int)Sizes.parse(chunkArg);
        final int rounds = Integer.parseInt(arg(args, 4, "3"));
        final int batchSize = Integer.parseInt(arg(args, 5, "256"));
        final int shuffleWindow = Integer.parseInt(arg(args, 6, "16"));
        final BatchSpec batches = new BatchSpec(batchSize, shuffleWindow, DropPolicy.DROP_LAST);
        if (batches.isChunks())
        {
            throw new IllegalArgumentException("BATCH must be at least 1: the chunk feed is measured anyway");
        }
        final BenchDataset dataset = BenchDataset.prepare(
            Path.of("benchmarks/target/bench-data/fixed-" + size), "fixed:4096", size, chunkSize);

        final double[] copy = new double[rounds];
        final double[] copyCrc = new double[rounds];
        final double[] feed = new double[rounds];
        final double[] chunkFeed = new double[rounds];
        final double[] batchFeed = new double[rounds];
        final double[] batchRatio = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            copy[round] = dataset.copy(epochs, false);
            copyCrc[round] = dataset.copy(epochs, true);
            final TimedFeed chunks;
            final TimedFeed batched;
            if (0 == (round & 1))
            {
                chunks = feed(dataset, workers, epochs, BatchSpec.CHUNKS);
                batched = feed(dataset, workers, epochs, batches);
            }
            else
            {
                batched = feed(dataset, workers, epochs, batches);
                chunks = feed(dataset, workers, epochs, BatchSpec.CHUNKS);
            }
            feed[round] = chunks.bytesPerSecond();
            chunkFeed[round] = chunks.steadyBytesPerSecond();
            batchFeed[round] = batched.steadyBytesPerSecond();
            batchRatio[round] = batchFeed[round] / chunkFeed[round];
            System.out.printf("round %d: copy %.2f GB/s, copy+crc %.2f GB/s, stoker local %.2f GB/s " +
                "(first to last chunk; start-up took another %.0f ms)%n",
                round, copy[round] / 1e9, copyCrc[round] / 1e9, feed[round] / 1e9, chunks.startupNs() / 1e6);
            System.out.printf("         from epoch 1 on: chunk feed %.2f GB/s, batches %.2f GB/s = %.2fx " +
                "(%d batches; start-up and first reads took another %.0f ms)%n",
                chunkFeed[round] / 1e9, batchFeed[round] / 1e9, batchRatio[round], batched.steps(),
                batched.startupNs() / 1e6);
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

        final double medianRatio = median(batchRatio);
        final boolean steady = epochs > 1;
        System.out.printf("%nbatches against the chunk feed: sample bytes received, %s; medians of %d rounds, the " +
            "ratio the median of each round's own%n",
            steady ? "from the first batch of epoch 1 to the last" : "first batch to last (one epoch)", rounds);
        final String batchLabel = "batches (--batch-size " + batchSize + " --shuffle-window " + shuffleWindow +
            ", drop-last)";
        final int width = Math.max(batchLabel.length(), 36);
        System.out.printf("  %-" + width + "s %6.2f GB/s%n", "chunk feed (--batch-size 0)", median(chunkFeed) / 1e9);
        System.out.printf("  %-" + width + "s %6.2f GB/s  = %.2fx the chunk feed (target %.2fx: %s)%n",
            batchLabel, median(batchFeed) / 1e9, medianRatio, BATCH_TARGET, medianRatio >= BATCH_TARGET ? "met" :
            "NOT met");
        System.out.printf("  as commands: stoker local --dataset %s --workers %d --epochs %d --chunk-size %s " +
            "[--batch-size %d --shuffle-window %d --drop-policy drop-last]%n",
            dataset.directory, workers, epochs, chunkArg, batchSize, shuffleWindow);
    }

    private static TimedFeed feed(
        final BenchDataset dataset, final int workers, final int epochs, final BatchSpec batches) throws Exception
    {
        return TimedFeed.run(new LocalCluster.Settings(dataset.directory, dataset.manifest)
            .workers(workers)
            .epochs(epochs)
            .batchSpec(batches));
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
