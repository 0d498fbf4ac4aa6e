package io.stoker.benchmarks;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.Sizes;
import io.stoker.transport.data.MappedRegion;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The dataset a benchmark feeds, made once under the given directory and kept in the page cache, and
 * the machine's own baselines over the same bytes: a single-thread copy of every chunk into one buffer
 * (memcpy from the page cache), and the same copy followed by a CRC32C.
 */
final class BenchDataset
{
    final Path directory;
    final Manifest manifest;

    private BenchDataset(final Path directory, final Manifest manifest)
    {
        this.directory = directory;
        this.manifest = manifest;
    }

    static BenchDataset prepare(final Path directory, final String format, final long bytes, final int chunkSize)
    {
        if (!Files.exists(directory.resolve(DatasetIndexer.FORMAT_FILE_NAME)))
        {
            System.out.printf("generating %s of %s in %s%n", Sizes.format(bytes), format, directory);
            DatasetGenerator.generate(directory, FormatSpec.parse(format), bytes, 42);
        }
        final Manifest manifest = DatasetIndexer.loadOrIndex(directory, chunkSize);
        manifest.write(directory.resolve(Manifest.FILE_NAME));
        final BenchDataset dataset = new BenchDataset(directory, manifest);
        dataset.copy(1, false);
        return dataset;
    }

    /**
     * Copy every chunk, {@code epochs} times, into one buffer on this thread; with {@code crc} also
     * checksum each copy.
     *
     * @return bytes per second.
     */
    double copy(final int epochs, final boolean crc)
    {
        final MappedRegion[] shards = new MappedRegion[manifest.shardCount()];
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            manifest.maxChunkLength(), 4096));
        final Crc32c crc32c = new Crc32c();
        try
        {
            for (int shard = 0; shard < shards.length; shard++)
            {
                shards[shard] = new MappedRegion(directory.resolve(manifest.shardPath(shard)), -1);
            }
            long sink = 0;
            final long start = System.nanoTime();
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
                {
                    final int length = manifest.chunkLength(chunk);
                    shards[manifest.chunkShard(chunk)].copy(manifest.chunkOffset(chunk), length, buffer, 0);
                    sink += crc ? crc32c.compute(buffer.byteBuffer(), 0, length) : buffer.getByte(length - 1);
                }
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            if (sink == 42)
            {
                System.out.print("");
            }
            return manifest.totalBytes() * (double)epochs / seconds;
        }
        finally
        {
            CloseHelper.closeAll(shards);
        }
    }
}
