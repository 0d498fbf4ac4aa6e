package io.stoker.launcher;

import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.GeneratedDataset;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code stoker dataset}: make synthetic datasets and index datasets.
 */
@Command(
    name = "dataset",
    mixinStandardHelpOptions = true,
    description = "Generate synthetic datasets and write dataset manifests.",
    subcommands = { DatasetCommand.Generate.class, DatasetCommand.Index.class })
final class DatasetCommand implements Runnable
{
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(System.out);
    }

    @Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = "Write a deterministic synthetic dataset: the same options give the same bytes on any machine.")
    static final class Generate implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "DIR", description = "Directory to write (created; must be empty).")
        Path directory;

        @Option(names = "--format", defaultValue = "fixed:4096", converter = FormatConverter.class,
            description = "Record format: fixed:SIZE, npy[:DTYPE:COLUMNS], tfrecord[:MEAN], webdataset[:MEAN], " +
            "megatron[:DTYPE][:seq:TOKENS] (.bin and .idx; a record is a document, or with seq:N a sample of N+1 " +
            "tokens every N), mds[:MEAN] (MosaicML, with index.json). Default: ${DEFAULT-VALUE}.")
        FormatSpec format;

        @Option(names = "--size", defaultValue = "1GiB", converter = SizeConverter.class,
            description = "Total bytes of records, e.g. 64MiB, 1GiB. Default: ${DEFAULT-VALUE}.")
        long size;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the content. Default: ${DEFAULT-VALUE}.")
        long seed;

        @Option(names = "--shard-size", defaultValue = "256MiB", converter = SizeConverter.class,
            description = "Bytes per shard file. Default: ${DEFAULT-VALUE}.")
        long shardSize;

        @Override
        public Integer call()
        {
            final long start = System.nanoTime();
            final GeneratedDataset dataset = DatasetGenerator.generate(directory, format, size, seed, shardSize);
            final double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("generated %s of %s records (%d records) in %s in %.2f s%n",
                Sizes.format(size), format, dataset.recordCount(), directory, seconds);
            return 0;
        }
    }

    @Command(
        name = "index",
        mixinStandardHelpOptions = true,
        description = "Scan a dataset's shard files, check every record, and write DIR/" + Manifest.FILE_NAME +
            ": the chunk table with offsets, lengths, record counts and CRC32C.")
    static final class Index implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "DIR", description = "The dataset directory.")
        Path directory;

        @Option(names = "--format", converter = FormatConverter.class,
            description = "Record format, when it cannot be told from the files (raw fixed-size records need " +
            "fixed:SIZE unless DIR has a " + DatasetIndexer.FORMAT_FILE_NAME + " file; Megatron-LM .bin/.idx " +
            "pairs are indexed a record per document unless given megatron:seq:TOKENS).")
        FormatSpec format;

        @Option(names = "--chunk-size", defaultValue = "4MiB", converter = SizeConverter.class,
            description = "Target chunk size, 64KiB to 64MiB; a chunk holds whole records. Default: ${DEFAULT-VALUE}.")
        long chunkSize;

        @Override
        public Integer call()
        {
            final long start = System.nanoTime();
            final Manifest manifest = DatasetIndexer.index(directory, format, LocalCommand.chunkSize(chunkSize));
            final Path file = directory.resolve(Manifest.FILE_NAME);
            manifest.write(file);
            final double seconds = (System.nanoTime() - start) / 1e9;
            System.out.println(manifest.describe());
            System.out.printf("indexed in %.2f s, wrote %s%n", seconds, file);
            return 0;
        }
    }
}
