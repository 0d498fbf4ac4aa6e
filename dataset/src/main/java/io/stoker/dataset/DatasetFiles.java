package io.stoker.dataset;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.stoker.dataset.format.MdsIndex;
import io.stoker.dataset.format.MegatronFormat;

/**
 * The files of a dataset directory: its format, its shard files in order, and the metadata files that describe
 * them, which the indexer reads but which are not shards and are never served: the {@code .idx} beside each
 * Megatron-LM {@code .bin}, the {@code index.json} of MDS.
 * <p>
 * The directory's entries are its files in name order, leaving out {@value Manifest#FILE_NAME},
 * {@value DatasetIndexer#FORMAT_FILE_NAME} and hidden files. Their format is, in order of precedence: the format
 * given, the one written in {@value DatasetIndexer#FORMAT_FILE_NAME}, or the one the files say: MDS where there is an
 * {@code index.json}, Megatron-LM where there are {@code .idx} files, else their extensions ({@code .bin} needs a
 * given record size). The shards are then every entry, except for Megatron-LM (the {@code .bin} files, each with its
 * {@code .idx}) and MDS (the files {@code index.json} lists, in its order; nothing else may be there).
 */
final class DatasetFiles
{
    private static final String IDX = ".idx";

    private final FormatSpec format;
    private final List<Path> shards;
    private final List<Path> metadata;
    private final MdsIndex mdsIndex;

    private DatasetFiles(
        final FormatSpec format, final List<Path> shards, final List<Path> metadata, final MdsIndex mds)
    {
        this.format = format;
        this.shards = shards;
        this.metadata = metadata;
        this.mdsIndex = mds;
    }

    /**
     * Finds the format and the shards of a dataset directory.
     *
     * @param dir          the dataset directory.
     * @param formatOrNull the format, or null to find it from {@value DatasetIndexer#FORMAT_FILE_NAME} or the files.
     * @return the files.
     * @throws DatasetException naming the directory or file at fault, and the offset in a metadata file where one
     *                          applies.
     */
    static DatasetFiles of(final Path dir, final FormatSpec formatOrNull)
    {
        final List<Path> entries = listEntries(dir);
        final FormatSpec format = resolveFormat(dir, entries, formatOrNull);
        switch (format.kind())
        {
            case MEGATRON:
                return megatron(format, entries);
            case MDS:
                return mds(dir, format, entries);
            default:
                return new DatasetFiles(format, entries, List.of(), null);
        }
    }

    /**
     * The format: the one given, or found from the files.
     *
     * @return the format.
     */
    FormatSpec format()
    {
        return format;
    }

    /**
     * The shard files, in the dataset's order.
     *
     * @return the shard files.
     */
    List<Path> shards()
    {
        return shards;
    }

    /**
     * Whether a manifest written at a time may still describe the files: no metadata file changed after it.
     *
     * @param manifestTime when the manifest was written.
     * @return false when a metadata file is newer or cannot be read.
     */
    boolean metadataOlderThan(final FileTime manifestTime)
    {
        for (final Path file : metadata)
        {
            try
            {
                if (Files.getLastModifiedTime(file).compareTo(manifestTime) > 0)
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

    /**
     * Checks the records found in a shard against what a metadata file says of it: the sample count of MDS's
     * {@code index.json}.
     *
     * @param shard   index of the shard in {@link #shards()}.
     * @param records records the format found in it.
     * @throws DatasetException naming the metadata file and the offset of the count when they differ.
     */
    void checkRecordCount(final int shard, final long records)
    {
        if (null != mdsIndex)
        {
            final MdsIndex.Shard entry = mdsIndex.shards().get(shard);
            if (entry.samples() != records)
            {
                throw new DatasetException(mdsIndex.file(), entry.samplesOffset(), "says " + entry.basename() +
                    " holds " + entry.samples() + " samples, it holds " + records);
            }
        }
    }

    private static List<Path> listEntries(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            throw new DatasetException(dir, Files.exists(dir) ? "not a directory" : "no such directory");
        }

        final List<Path> entries;
        try (Stream<Path> list = Files.list(dir))
        {
            entries = list
                .filter(DatasetFiles::isDatasetFile)
                .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                .collect(Collectors.toList());
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new DatasetException(dir, "cannot list", ex);
        }

        for (final Path entry : entries)
        {
            RegularFiles.require(entry);
            if (!Files.isReadable(entry))
            {
                throw new DatasetException(entry, "not readable");
            }
        }

        if (entries.isEmpty())
        {
            throw new DatasetException(dir, "no shard files");
        }

        return entries;
    }

    private static boolean isDatasetFile(final Path path)
    {
        final String name = path.getFileName().toString();
        return !name.startsWith(".") && !name.equals(Manifest.FILE_NAME) &&
            !name.equals(DatasetIndexer.FORMAT_FILE_NAME);
    }

    private static FormatSpec resolveFormat(final Path dir, final List<Path> entries, final FormatSpec formatOrNull)
    {
        final FormatSpec given = null != formatOrNull ? formatOrNull : readFormatFile(dir);
        if (null != given)
        {
            // Megatron-LM and MDS check their files themselves: their .bin and index.json say other kinds.
            if (given.kind() != FormatSpec.Kind.MEGATRON && given.kind() != FormatSpec.Kind.MDS)
            {
                for (final Path entry : entries)
                {
                    final FormatSpec.Kind kind = FormatSpec.Kind.ofFileName(entry.getFileName().toString());
                    if (null != kind && kind != given.kind())
                    {
                        throw new DatasetException(entry, "a " + kind.extension() + " file in a dataset of format " +
                            given + "; a dataset has one format");
                    }
                }
            }

            return given;
        }

        if (entries.contains(dir.resolve(MdsIndex.FILE_NAME)))
        {
            return FormatSpec.parse(FormatSpec.Kind.MDS.name());
        }

        if (entries.stream().anyMatch(DatasetFiles::isIdx))
        {
            return FormatSpec.parse(FormatSpec.Kind.MEGATRON.name());
        }

        FormatSpec.Kind datasetKind = null;
        Path first = null;
        for (final Path entry : entries)
        {
            final FormatSpec.Kind kind = FormatSpec.Kind.ofFileName(entry.getFileName().toString());
            if (null == kind)
            {
                throw new DatasetException(entry, "unknown file extension: name the format with --format " +
                    "(fixed:<recordBytes>, npy, tfrecord, webdataset, megatron or mds)");
            }

            if (null == datasetKind)
            {
                datasetKind = kind;
                first = entry;
            }
            else if (kind != datasetKind)
            {
                throw new DatasetException(entry, "a " + kind.extension() + " file among " +
                    datasetKind.extension() + " files such as " + first.getFileName() + "; a dataset has one format");
            }
        }

        if (datasetKind == FormatSpec.Kind.FIXED)
        {
            throw new DatasetException(first, "raw .bin files do not say their record size: pass --format fixed:N " +
                "with N the bytes per record (a Megatron-LM .bin has its .idx beside it)");
        }

        // A kind's name parses as that kind with its default parameters.
        return FormatSpec.parse(datasetKind.name());
    }

    private static FormatSpec readFormatFile(final Path dir)
    {
        final Path file = dir.resolve(DatasetIndexer.FORMAT_FILE_NAME);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS))
        {
            return null;
        }

        RegularFiles.require(file);
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new DatasetException(file, "cannot read", ex);
        }

        try
        {
            return FormatSpec.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new DatasetException(file, ex.getMessage());
        }
    }

    /**
     * The {@code .bin} files, each with the {@code .idx} of the same name beside it, and nothing else.
     */
    private static DatasetFiles megatron(final FormatSpec format, final List<Path> entries)
    {
        final List<Path> bins = new ArrayList<>();
        final List<Path> indexes = new ArrayList<>();
        for (final Path entry : entries)
        {
            final String name = entry.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(FormatSpec.Kind.MEGATRON.extension()))
            {
                bins.add(entry);
            }
            else if (isIdx(entry))
            {
                indexes.add(entry);
            }
            else
            {
                throw new DatasetException(entry, "neither a .bin nor a .idx file, in a dataset of format " + format +
                    "; a dataset has one format");
            }
        }

        for (final Path bin : bins)
        {
            final Path index = MegatronFormat.indexFile(bin);
            if (!indexes.contains(index))
            {
                throw new DatasetException(bin, "no " + index.getFileName() + " beside it: a Megatron-LM .bin is " +
                    "read through its .idx");
            }
        }

        for (final Path index : indexes)
        {
            if (bins.stream().noneMatch(bin -> MegatronFormat.indexFile(bin).equals(index)))
            {
                throw new DatasetException(index, "no .bin of the same name beside it");
            }
        }

        if (bins.isEmpty())
        {
            throw new DatasetException(entries.get(0).getParent(), "no shard files");
        }

        return new DatasetFiles(format, List.copyOf(bins), List.copyOf(indexes), null);
    }

    /**
     * The files {@code index.json} lists, in its order, each there with the length it says; nothing else.
     */
    private static DatasetFiles mds(final Path dir, final FormatSpec format, final List<Path> entries)
    {
        final Path indexFile = dir.resolve(MdsIndex.FILE_NAME);
        final MdsIndex index = MdsIndex.read(indexFile);
        final List<Path> shards = new ArrayList<>();
        final Set<Path> listed = new HashSet<>();
        for (final MdsIndex.Shard shard : index.shards())
        {
            final Path file = dir.resolve(shard.basename());
            if (file.equals(indexFile) || !isDatasetFile(file))
            {
                throw new DatasetException(indexFile, shard.basenameOffset(),
                    "names " + shard.basename() + " as a shard, which is not one");
            }

            if (!Files.exists(file))
            {
                throw new DatasetException(indexFile, shard.basenameOffset(),
                    "names shard " + shard.basename() + ", which is missing from " + dir);
            }

            RegularFiles.require(file);
            final long size;
            try
            {
                size = Files.size(file);
            }
            catch (final IOException ex)
            {
                throw new DatasetException(file, "cannot read", ex);
            }

            if (size != shard.bytes())
            {
                throw new DatasetException(indexFile, shard.bytesOffset(), "says " + shard.basename() + " has " +
                    shard.bytes() + " bytes, it has " + size);
            }

            shards.add(file);
            listed.add(file);
        }

        for (final Path entry : entries)
        {
            if (!entry.equals(indexFile) && !listed.contains(entry))
            {
                throw new DatasetException(entry, "not a shard " + MdsIndex.FILE_NAME + " lists, in a dataset of " +
                    "format " + format + "; a dataset has one format");
            }
        }

        return new DatasetFiles(format, List.copyOf(shards), List.of(indexFile), index);
    }

    private static boolean isIdx(final Path path)
    {
        return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(IDX);
    }
}
