package io.stoker.examples;

import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.launcher.LocalCluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The whole feed in one JVM through the library: generate a TFRecord dataset, index it, and feed two
 * epochs to two ranks whose consumers count records. {@code stoker local} does the same from the
 * command line.
 */
public final class LocalFeedExample
{
    public static void main(final String[] args) throws Exception
    {
        final Path directory = Files.createTempDirectory("stoker-example-");
        DatasetGenerator.generate(directory, FormatSpec.parse("tfrecord:2000"), 64L << 20, 1);
        final Manifest manifest = DatasetIndexer.index(directory, null, DatasetIndexer.DEFAULT_CHUNK_SIZE);
        System.out.println(manifest.describe());

        final AtomicLongArray records = new AtomicLongArray(2);
        final LocalCluster.Settings settings = new LocalCluster.Settings(directory, manifest).workers(2).epochs(2);
        try (LocalCluster cluster = new LocalCluster(settings,
            rank -> (r, chunk) -> records.addAndGet(r, chunk.records().count())))
        {
            if (!cluster.awaitCompletion(TimeUnit.MINUTES.toNanos(5), () -> {}))
            {
                throw new IllegalStateException("the feed did not complete: " + cluster.failure());
            }
            System.out.printf("job %s in %.2f s: rank 0 took %d records, rank 1 %d (dataset: %d records x 2 epochs)%n",
                cluster.outcome(), cluster.elapsedNs() / 1e9, records.get(0), records.get(1), manifest.totalRecords());
        }
    }

    private LocalFeedExample()
    {
    }
}
