package io.stoker.dataset;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongToIntFunction;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.stoker.dataset.format.MdsIndex;
import io.stoker.dataset.format.RecordFormat;
import io.stoker.dataset.format.ShardOutput;
import org.agrona.collections.IntArrayList;

/**
 * Writes synthetic datasets of random records in any {@link FormatSpec}, for tests and benchmarks.
 * <p>
 * Output depends only on the arguments: the same arguments give byte-identical files on any machine. Shards are
 * named {@code shard-00000<ext>}, {@code shard-00001<ext>}, ... ({@code shard.00000.mds}, ... for MDS, as
 * mosaicml/streaming names them) and hold whole records while the next would not push them past the shard size; the
 * dataset holds whole records while the next would not push it past the total size. Both hold at least one record.
 * For {@code megatron} what is written and counted so is documents, each {@code .bin} with its {@code .idx}; in
 * {@code seq:N} mode the records are the samples the documents make. MDS datasets get their {@code index.json}. The
 * format is written to {@value DatasetIndexer#FORMAT_FILE_NAME}.
 */
public final class DatasetGenerator
{
    /** Shard size when none is given. */
    public static final long DEFAULT_SHARD_BYTES = 256L << 20;

    private static final Pattern OWN_FILE = Pattern.compile(
        "shard-\\d{5,}\\.(bin|idx|npy|tfrecord|tar)|shard\\.\\d{5,}\\.mds|" + Pattern.quote(MdsIndex.FILE_NAME) + "|" +
        Pattern.quote(DatasetIndexer.FORMAT_FILE_NAME) + "|" + Pattern.quote(Manifest.FILE_NAME));
    private static final long CONTENT_STREAM = 0x636F6E74656E7473L;

    private DatasetGenerator()
    {
    }

    /**
     * Generates a dataset in shards of {@link #DEFAULT_SHARD_BYTES}.
     *
     * @param dir        directory to write; created if missing, else empty or a dataset generated before.
     * @param format     the record format.
     * @param totalBytes bytes of records to write, framing included (of documents, for {@code megatron}).
     * @param seed       random seed.
     * @return what was written.
     * @see #generate(Path, FormatSpec, long, long, long)
     */
    public static GeneratedDataset generate(
        final Path dir, final FormatSpec format, final long totalBytes, final long seed)
    {
        return generate(dir, format, totalBytes, seed, DEFAULT_SHARD_BYTES);
    }

    /**
     * Generates a dataset. A directory that holds a dataset generated before is emptied first; a non-empty
     * directory holding anything else is refused. So is a size the directory's file system has no room for, before
     * anything is written. A run that fails part-way removes what it wrote, and the directory if it created it.
     *
     * @param dir        directory to write; created if missing, else empty or a dataset generated before.
     * @param format     the record format.
     * @param totalBytes bytes of records to write, framing included (of documents, for {@code megatron}).
     * @param seed       random seed.
     * @param shardBytes bytes of records per shard file.
     * @return what was written, including where every record is.
     * @throws DatasetException naming the directory or file that cannot be used or written, or the directory and
     *                          the free space when it has no room for the dataset.
     */
    public static GeneratedDataset generate(
        final Path dir, final FormatSpec format, final long totalBytes, final long seed, final long shardBytes)
    {
        if (totalBytes < 1 || shardBytes < 1)
        {
            throw new IllegalArgumentException(
                "total and shard bytes must be positive: total " + totalBytes + ", shard " + shardBytes);
        }

        final List<Path> replaced = previousDataset(dir);
        requireSpace(dir, totalBytes, replaced);
        final Path created = prepareDirectory(dir, replaced);
        final List<Path> written = new ArrayList<>();
        try
        {
            final GeneratedDataset dataset = write(dir, format, totalBytes, seed, shardBytes, written);
            writeFormatFile(dir, format, written);
            return dataset;
        }
        catch (final RuntimeException | Error ex)
        {
            remove(written, dir, created, ex);
            throw ex;
        }
    }

    private static GeneratedDataset write(
        final Path dir,
        final FormatSpec format,
        final long totalBytes,
        final long seed,
        final long shardBytes,
        final List<Path> files)
    {
        final RecordFormat writer = RecordFormat.of(format);
        final SplitMix64 sizes = new SplitMix64(seed);
        final SplitMix64 content = new SplitMix64(SplitMix64.mix(seed ^ CONTENT_STREAM));
        final GeneratedDataset.Builder records = new GeneratedDataset.Builder(dir, format);
        // Fixed-size records all have the record size as payload, so only varying payloads are kept.
        final boolean varying = !writer.fixedPayload();
        final IntArrayList shardPayloads = new IntArrayList();
        final LongToIntFunction payloads = i -> varying ? shardPayloads.getInt((int)i) : format.recordSize();

        long index = 0;
        long total = 0;
        int payload = writer.drawPayloadLength(sizes);
        long length = writer.recordLength(index, payload);
        try (ShardOutput out = new ShardOutput(files::add))
        {
            for (int shard = 0; index == 0 || total + length <= totalBytes; shard++)
            {
                final long firstRecord = index;
                long shardTotal = 0;
                shardPayloads.clear();
                do
                {
                    if (varying)
                    {
                        shardPayloads.addInt(payload);
                    }
                    shardTotal += length;
                    total += length;
                    index++;
                    payload = writer.drawPayloadLength(sizes);
                    length = writer.recordLength(index, payload);
                }
                while (total + length <= totalBytes && shardTotal + length <= shardBytes);

                final String name = shardName(format, shard);
                records.beginShard(name);
                out.open(dir.resolve(name));
                writer.beginShard(out, index - firstRecord, payloads);
                for (long record = firstRecord; record < index; record++)
                {
                    final int recordPayload = payloads.applyAsInt(record - firstRecord);
                    final long offset = out.position();
                    writer.writeRecord(out, record, recordPayload, content);
                    final long written = out.position() - offset;
                    if (written != writer.recordLength(record, recordPayload) || written > Integer.MAX_VALUE)
                    {
                        throw new IllegalStateException(format + " wrote " + written + " bytes for record " + record +
                            " instead of " + writer.recordLength(record, recordPayload));
                    }

                    records.wrote(offset, (int)written);
                }

                records.endShard();
                writer.endShard(out);
                out.close();
            }

            writer.endDataset(out, dir);
        }

        return records.build();
    }

    private static String shardName(final FormatSpec format, final int shard)
    {
        return format.kind() == FormatSpec.Kind.MDS ?
            String.format(Locale.ROOT, "shard.%05d.mds", shard) :
            String.format(Locale.ROOT, "shard-%05d%s", shard, format.fileExtension());
    }

    /**
     * The files of a dataset generated before in {@code dir}, which a new one replaces: none when the directory is
     * missing or empty. Anything else in it, or a directory that is not one, is refused.
     */
    private static List<Path> previousDataset(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return List.of();
        }

        if (!Files.isDirectory(dir))
        {
            throw new DatasetException(dir, "not a directory");
        }

        final List<Path> entries;
        try (Stream<Path> list = Files.list(dir))
        {
            entries = list.sorted().collect(Collectors.toList());
        }
        catch (final IOException ex)
        {
            throw new DatasetException(dir, "cannot list", ex);
        }

        if (!entries.isEmpty() && !Files.exists(dir.resolve(DatasetIndexer.FORMAT_FILE_NAME)))
        {
            throw new DatasetException(dir, "not empty and not a generated Stoker dataset (it has no " +
                DatasetIndexer.FORMAT_FILE_NAME + "): refusing to write into it");
        }

        for (final Path entry : entries)
        {
            if (!OWN_FILE.matcher(entry.getFileName().toString()).matches() || Files.isDirectory(entry))
            {
                throw new DatasetException(entry, "not part of a generated Stoker dataset: refusing to " +
                    "overwrite " + dir);
            }
        }

        return entries;
    }

    /**
     * Refuses, before anything is written, a size larger than the free space of the file system the directory is
     * (or will be) on, counting the space the replaced dataset's files give back.
     */
    private static void requireSpace(final Path dir, final long totalBytes, final List<Path> replaced)
    {
        Path existing = dir.toAbsolutePath();
        while (!Files.exists(existing) && null != existing.getParent())
        {
            existing = existing.getParent();
        }

        long free;
        try
        {
            free = Files.getFileStore(existing).getUsableSpace();
            for (final Path file : replaced)
            {
                free += Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size();
            }
        }
        catch (final IOException ex)
        {
            throw new DatasetException(dir, "cannot tell the free space of " + existing, ex);
        }

        if (totalBytes > free)
        {
            throw new DatasetException(dir, "no room for " + Sizes.format(totalBytes) + " of records: " +
                Sizes.format(free) + " free on the file system of " + existing +
                (replaced.isEmpty() ? "" : ", counting the dataset it would replace"));
        }
    }

    /**
     * Deletes the replaced dataset's files, or creates the directory.
     *
     * @return the outermost directory created, or null when the directory was there.
     */
    private static Path prepareDirectory(final Path dir, final List<Path> replaced)
    {
        try
        {
            if (Files.exists(dir))
            {
                for (final Path file : replaced)
                {
                    Files.delete(file);
                }
                return null;
            }

            Path outermost = dir.toAbsolutePath();
            while (null != outermost.getParent() && !Files.exists(outermost.getParent()))
            {
                outermost = outermost.getParent();
            }
            Files.createDirectories(dir);
            return outermost;
        }
        catch (final IOException ex)
        {
            throw new DatasetException(dir, "cannot prepare", ex);
        }
    }

    /**
     * Undoes a run that failed: deletes the files it wrote, then the directories it created, innermost first.
     * What cannot be deleted is added to the run's failure, which still goes to the caller.
     */
    private static void remove(final List<Path> written, final Path dir, final Path created, final Throwable failure)
    {
        final List<Path> doomed = new ArrayList<>(written);
        if (null != created)
        {
            for (Path directory = dir.toAbsolutePath(); null != directory; directory = directory.getParent())
            {
                doomed.add(directory);
                if (directory.equals(created))
                {
                    break;
                }
            }
        }

        for (final Path path : doomed)
        {
            try
            {
                Files.deleteIfExists(path);
            }
            catch (final IOException | RuntimeException ex)
            {
                failure.addSuppressed(new DatasetException(path, "cannot remove after the failure", ex));
            }
        }
    }

    private static void writeFormatFile(final Path dir, final FormatSpec format, final List<Path> files)
    {
        final Path file = dir.resolve(DatasetIndexer.FORMAT_FILE_NAME);
        files.add(file);
        try
        {
            Files.writeString(file, format + "\n", StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new DatasetException(file, "cannot write", ex);
        }
    }
}
