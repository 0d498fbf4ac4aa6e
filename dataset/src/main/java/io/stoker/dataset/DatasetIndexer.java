package io.stoker.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.stoker.dataset.format.RecordFormat;
import io.stoker.dataset.format.ShardInput;

/**
 * Builds the {@link Manifest} of a dataset directory: finds the shard files and their format, the record boundaries
 * in each, groups records into chunks and computes each chunk's CRC32C.
 * <p>
 * The shard files are the directory's entries in name order, leaving out {@value Manifest#FILE_NAME},
 * {@value #FORMAT_FILE_NAME} and hidden files; for Megatron-LM the {@code .bin} files (each {@code .idx} is read
 * with its {@code .bin}), for MDS the files {@code index.json} lists, in its order. Their format is, in order of
 * precedence: the format given, the one written in {@value #FORMAT_FILE_NAME}, or the one the files say (MDS where
 * there is an {@code index.json}, Megatron-LM where there are {@code .idx} files, else the extensions; {@code .bin}
 * alone needs a given record size). Chunks hold whole, consecutive records of one shard, as many as fit the chunk size
 * target; a record larger than the target is a chunk of its own.
 */
public final class DatasetIndexer
{
    /** Smallest chunk size target. */
    public static final int MIN_CHUNK_SIZE = 64 << 10;
    /** Largest chunk size target. */
    public static final int MAX_CHUNK_SIZE = 64 << 20;
    /** Chunk size target when none is given. */
    public static final int DEFAULT_CHUNK_SIZE = 4 << 20;
    /** File in a dataset directory holding the format as {@link FormatSpec} text, written by the generator. */
    public static final String FORMAT_FILE_NAME = "stoker.format";

    private DatasetIndexer()
    {
    }

    /**
     * Indexes a dataset directory. Reads every byte of every shard once or twice, with the page cache's help.
     *
     * @param dir             the dataset directory.
     * @param formatOrNull    the format, or null to find it from {@value #FORMAT_FILE_NAME} or the file extensions.
     * @param chunkSizeTarget chunk size target, {@link #MIN_CHUNK_SIZE} to {@link #MAX_CHUNK_SIZE}.
     * @return the manifest.
     * @throws DatasetException naming the file, and the byte offset where one applies, of any bad input.
     * @throws IllegalArgumentException when the chunk size target is out of range.
     */
    public static Manifest index(final Path dir, final FormatSpec formatOrNull, final int chunkSizeTarget)
    {
        checkChunkSize(chunkSizeTarget);
        final DatasetFiles files = DatasetFiles.of(dir, formatOrNull);
        final List<Path> shards = files.shards();
        final FormatSpec spec = files.format();
        final RecordFormat format = RecordFormat.of(spec);
        final Chunker chunker = new Chunker(chunkSizeTarget, spec.storesRecordOffsets());
        final String[] shardPaths = new String[shards.size()];
        final long[] shardLengths = new long[shards.size()];
        FormatSpec datasetFormat = null;

        for (int i = 0; i < shards.size(); i++)
        {
            final Path shard = shards.get(i);
            try (ShardInput scanInput = new ShardInput(shard); ShardInput crcInput = new ShardInput(shard))
            {
                shardPaths[i] = shard.getFileName().toString();
                shardLengths[i] = scanInput.length();
                chunker.beginShard(i, crcInput);
                final long recordsBefore = chunker.totalRecords();
                final FormatSpec shardFormat = format.scan(scanInput, chunker);
                chunker.endShard();
                files.checkRecordCount(i, chunker.totalRecords() - recordsBefore);

                if (null == datasetFormat)
                {
                    datasetFormat = shardFormat;
                }
                else if (!datasetFormat.equals(shardFormat))
                {
                    throw new DatasetException(shard, "records are " + shardFormat + " but those of " +
                        shardPaths[0] + " are " + datasetFormat + "; a dataset has one record layout");
                }
            }
        }

        if (chunker.totalRecords() == 0)
        {
            throw new DatasetException(dir, "no records in " + shards.size() + " shard files");
        }

        return chunker.build(datasetFormat, shardPaths, shardLengths);
    }

    /**
     * The directory's {@value Manifest#FILE_NAME} when it is still good: readable, made for this chunk size target,
     * naming the same shard files with the same lengths as are there now, and not older than the metadata files that
     * describe them (a Megatron-LM {@code .idx}, an MDS {@code index.json}). Otherwise the directory is indexed again
     * in the format the old manifest names, if it could be read. The new manifest is not written.
     *
     * @param dir             the dataset directory.
     * @param chunkSizeTarget chunk size target, {@link #MIN_CHUNK_SIZE} to {@link #MAX_CHUNK_SIZE}.
     * @return the manifest.
     * @throws DatasetException naming the file, and the byte offset where one applies, of any bad input.
     */
    public static Manifest loadOrIndex(final Path dir, final int chunkSizeTarget)
    {
        checkChunkSize(chunkSizeTarget);
        final Path manifestFile = dir.resolve(Manifest.FILE_NAME);
        FormatSpec format = null;
        if (Files.exists(manifestFile))
        {
            // Outside the try: a named pipe or device in the manifest's place is refused, not indexed around.
            RegularFiles.require(manifestFile);
            try
            {
                final Manifest manifest = Manifest.read(manifestFile);
                format = manifest.format();
                final DatasetFiles files = DatasetFiles.of(dir, format);
                if (manifest.chunkSizeTarget() == chunkSizeTarget && matchesShards(manifest, files.shards()) &&
                    files.metadataOlderThan(Files.getLastModifiedTime(manifestFile)))
                {
                    return manifest;
                }
            }
            catch (final DatasetException | IOException ex)
            {
                // A damaged or stale manifest is replaced by indexing again, which reports any real problem.
            }
        }

        return index(dir, format, chunkSizeTarget);
    }

    private static void checkChunkSize(final int chunkSizeTarget)
    {
        if (chunkSizeTarget < MIN_CHUNK_SIZE || chunkSizeTarget > MAX_CHUNK_SIZE)
        {
            throw new IllegalArgumentException("chunk size must be " + Sizes.format(MIN_CHUNK_SIZE) + " to " +
                Sizes.format(MAX_CHUNK_SIZE) + ": " + chunkSizeTarget);
        }
    }

    private static boolean matchesShards(final Manifest manifest, final List<Path> shards)
    {
        if (manifest.shardCount() != shards.size())
        {
            return false;
        }

        for (int i = 0; i < shards.size(); i++)
        {
            final Path shard = shards.get(i);
            try
            {
                if (!manifest.shardPath(i).equals(shard.getFileName().toString()) ||
                    manifest.shardLength(i) != Files.size(shard))
                {
                    return false;
                }
            }
            catch (final IOException ex)
            {
                return false;
            }
        }

        return true;
    }
}
