package io.stoker.launcher;

import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.GeneratedDataset;
import io.stoker.dataset.Manifest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Test fixture: generate a dataset, index it, feed it through a {@link LocalCluster}, and keep what
 * each rank's consumer received.
 */
final class LocalFeed
{
    final GeneratedDataset dataset;
    final Manifest manifest;
    final List<String> errors = new ArrayList<>();
    DeliveryLog[] logs;
    RunSummary summary;

    private LocalFeed(final GeneratedDataset dataset, final Manifest manifest)
    {
        this.dataset = dataset;
        this.manifest = manifest;
    }

    static LocalFeed generate(
        final Path root, final FormatSpec format, final long bytes, final long seed, final long shardBytes,
        final int chunkSize)
    {
        final Path directory = root.resolve("dataset");
        final GeneratedDataset dataset = DatasetGenerator.generate(directory, format, bytes, seed, shardBytes);
        final Manifest manifest = DatasetIndexer.index(directory, null, chunkSize);
        return new LocalFeed(dataset, manifest);
    }

    LocalFeed run(final int workers, final int epochs, final long seed) throws InterruptedException
    {
        return run(workers, epochs, seed, cluster -> {}, (rank, chunk) -> {});
    }

    LocalFeed run(final int workers, final int epochs, final long seed, final Consumer<LocalCluster> duringRun)
        throws InterruptedException
    {
        return run(workers, epochs, seed, duringRun, (rank, chunk) -> {});
    }

    /**
     * Feed the dataset; {@code duringRun} gets the running cluster once it started, {@code check} sees
     * every chunk on the consumer side.
     */
    LocalFeed run(
        final int workers,
        final int epochs,
        final long seed,
        final Consumer<LocalCluster> duringRun,
        final ChunkHandler check)
        throws InterruptedException
    {
        logs = new DeliveryLog[workers];
        for (int rank = 0; rank < workers; rank++)
        {
            logs[rank] = new DeliveryLog(true);
        }
        final LocalCluster.Settings settings = new LocalCluster.Settings(dataset.dir(), manifest)
            .workers(workers)
            .epochs(epochs)
            .seed(seed)
            .logger(line ->
            {
                synchronized (errors)
                {
                    errors.add(line);
                }
            });
        final ChunkHandler[] handlers = new ChunkHandler[workers];
        for (int rank = 0; rank < workers; rank++)
        {
            final DeliveryLog log = logs[rank];
            handlers[rank] = (r, chunk) ->
            {
                check.onChunk(r, chunk);
                log.onChunk(r, chunk);
            };
        }
        try (LocalCluster cluster = new LocalCluster(settings, rank -> handlers[rank]))
        {
            duringRun.accept(cluster);
            final boolean completed = cluster.awaitCompletion(TimeUnit.SECONDS.toNanos(60), () -> {});
            summary = RunSummary.of(cluster, completed);
            assertTrue(completed, "run did not complete: " + summary.text() + errors);
        }
        return this;
    }

    int[] delivered(final int rank, final int epoch)
    {
        return logs[rank].chunks(epoch);
    }

    /**
     * Assert every epoch delivered every chunk of the manifest exactly once over all ranks, each with
     * the CRC32C of the chunk's bytes as the test reads them from the shard file itself.
     */
    void assertExactlyOnceWithFileCrcs(final int epochs) throws IOException
    {
        final int[] fileCrcs = new int[manifest.chunkCount()];
        for (int chunkId = 0; chunkId < fileCrcs.length; chunkId++)
        {
            fileCrcs[chunkId] = fileCrc(chunkId);
        }
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final int[] seen = new int[manifest.chunkCount()];
            for (final DeliveryLog log : logs)
            {
                final int[] chunks = log.chunks(epoch);
                final int[] crcs = log.crcs(epoch);
                for (int i = 0; i < chunks.length; i++)
                {
                    seen[chunks[i]]++;
                    assertEquals(fileCrcs[chunks[i]], crcs[i], "CRC32C of chunk " + chunks[i] + " in epoch " + epoch);
                }
            }
            for (int chunkId = 0; chunkId < seen.length; chunkId++)
            {
                assertEquals(1, seen[chunkId], "deliveries of chunk " + chunkId + " in epoch " + epoch);
            }
        }
    }

    private int fileCrc(final int chunkId) throws IOException
    {
        final Path shard = dataset.dir().resolve(manifest.shardPath(manifest.chunkShard(chunkId)));
        final ByteBuffer bytes = ByteBuffer.allocate(manifest.chunkLength(chunkId));
        try (FileChannel channel = FileChannel.open(shard))
        {
            long position = manifest.chunkOffset(chunkId);
            while (bytes.hasRemaining())
            {
                final int read = channel.read(bytes, position);
                if (read < 0)
                {
                    throw new IOException(shard + " ends before chunk " + chunkId);
                }
                position += read;
            }
        }
        final CRC32C crc = new CRC32C();
        crc.update(bytes.flip());
        return (int)crc.getValue();
    }
}
