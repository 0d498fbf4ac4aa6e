package io.stoker.examples;

import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.launcher.LocalCluster;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The whole feed in one JVM through the library: generate a TFRecord dataset, index it, and feed two
 * epochs to two ranks in shuffled batches of 64 samples, whose consumers count them.
 * {@code stoker local} does the same from the command line.
 */
public final class LocalFeedExample
{
    /**
     * Run the example.
     *
     * @param args none.
     * @throws Exception when the dataset cannot be written.
     */
    public static void main(final String[] args) throws Exception
    {
        final Path directory = Files.createTempDirectory("stoker-example-");
        DatasetGenerator.generate(directory, FormatSpec.parse("tfrecord:2000"), 64L << 20, 1);
        final Manifest manifest = DatasetIndexer.index(directory, null, DatasetIndexer.DEFAULT_CHUNK_SIZE);
        System.out.println(manifest.describe());

        final AtomicLongArray samples = new AtomicLongArray(2);
        final LocalCluster.Settings settings = new LocalCluster.Settings(directory, manifest).workers(2).epochs(2)
            .batchSpec(new BatchSpec(64, 16, DropPolicy.DROP_LAST));
        try (LocalCluster cluster = new LocalCluster(settings,
            rank -> (r, batch) -> samples.addAndGet(r, batch.size())))
        {
            if (!cluster.awaitCompletion(TimeUnit.MINUTES.toNanos(5), () -> {}))
            {
                throw new IllegalStateException("the feed did not complete: " + cluster.failure());
            }
            System.out.printf("job %s in %.2f s: rank 0 took %d samples, rank 1 %d (dataset: %d records x 2 epochs, " +
                "less what does not fill a batch on every rank)%n",
                cluster.outcome(), cluster.elapsedNs() / 1e9, samples.get(0), samples.get(1), manifest.totalRecords());
        }
    }

    private LocalFeedExample()
    {
    }
}
