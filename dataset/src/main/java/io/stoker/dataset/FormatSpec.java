package io.stoker.dataset;

import java.util.Locale;
import java.util.Objects;

import io.stoker.dataset.format.NpyDtype;

/**
 * The record format of a dataset and its parameters, as a user writes it:
 * <ul>
 *     <li>{@code fixed:<recordBytes>}: raw files of fixed-size records, e.g. {@code fixed:4096} or
 *     {@code fixed:4KiB}.</li>
 *     <li>{@code npy} or {@code npy:<dtype>:<columns>}: NumPy files, one record per row, e.g. {@code npy:<u2:2048}
 *     or {@code npy:[('x', '<f4'), ('y', '<i2', (3,))]:16}; plain {@code npy} means {@code npy:<f4:1024}.</li>
 *     <li>{@code tfrecord} or {@code tfrecord:<meanRecordBytes>}: TFRecord files; the mean (default 4096) only
 *     matters when generating.</li>
 *     <li>{@code webdataset} (or {@code tar}) or {@code webdataset:<meanSampleBytes>}: WebDataset tar shards, one
 *     record per sample; the mean (default 16384) only matters when generating.</li>
 * </ul>
 * Sizes take the {@link Sizes#parse} syntax. {@link #toString()} gives the canonical text, which parses back to an
 * equal spec.
 */
public final class FormatSpec
{
    /**
     * The record formats.
     */
    public enum Kind
    {
        FIXED("fixed", ".bin"),
        NPY("npy", ".npy"),
        TFRECORD("tfrecord", ".tfrecord"),
        WEBDATASET("webdataset", ".tar");

        private final String specName;
        private final String extension;

        Kind(final String specName, final String extension)
        {
            this.specName = specName;
            this.extension = extension;
        }

        /**
         * The extension of this kind's files, e.g. {@code .tar}.
         *
         * @return the extension, with its dot.
         */
        public String extension()
        {
            return extension;
        }

        /**
         * The kind a file name's extension says, {@code .tfrecords} counting as TFRecord.
         *
         * @param fileName a file name.
         * @return the kind, or null when the extension is not one of the formats'.
         */
        public static Kind ofFileName(final String fileName)
        {
            final String name = fileName.toLowerCase(Locale.ROOT);
            for (final Kind kind : values())
            {
                if (name.endsWith(kind.extension))
                {
                    return kind;
                }
            }

            return name.endsWith(".tfrecords") ? TFRECORD : null;
        }
    }

    /** Dtype of plain {@code npy}. */
    public static final String DEFAULT_NPY_DTYPE = "<f4";
    /** Columns of plain {@code npy}: 1024 four-byte floats, 4 KiB rows. */
    public static final int DEFAULT_NPY_COLUMNS = 1024;
    /** Mean record payload of plain {@code tfrecord}. */
    public static final int DEFAULT_TFRECORD_MEAN = 4096;
    /** Mean sample size of plain {@code webdataset}. */
    public static final int DEFAULT_WEBDATASET_MEAN = 16384;
    /** Largest mean record size, so that generated records stay well below 2 GiB. */
    public static final int MAX_MEAN = 1 << 30;

    private static final String ACCEPTED = "expected fixed:<recordBytes>, npy, npy:<dtype>:<columns>, tfrecord, " +
        "tfrecord:<meanRecordBytes>, webdataset (or tar) or webdataset:<meanSampleBytes>";

    private final Kind kind;
    private final int recordSize;
    private final NpyDtype npyDtype;
    private final int npyColumns;
    private final int meanRecordSize;

    private FormatSpec(
        final Kind kind, final int recordSize, final NpyDtype npyDtype, final int npyColumns, final int meanRecordSize)
    {
        this.kind = kind;
        this.recordSize = recordSize;
        this.npyDtype = npyDtype;
        this.npyColumns = npyColumns;
        this.meanRecordSize = meanRecordSize;
    }

    /**
     * Raw files of fixed-size records.
     *
     * @param recordSize bytes per record, at least one.
     * @return the spec.
     */
    public static FormatSpec fixed(final long recordSize)
    {
        if (recordSize < 1 || recordSize > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("record size must be 1 byte to 2 GiB: " + recordSize);
        }

        return new FormatSpec(Kind.FIXED, (int)recordSize, null, 0, (int)recordSize);
    }

    /**
     * NumPy files of rows of {@code columns} elements of a dtype.
     *
     * @param dtype   a type string such as {@code <f4} or a structured dtype's field list, see {@link NpyDtype}.
     * @param columns elements per row, at least one.
     * @return the spec.
     * @throws IllegalArgumentException when the dtype is not one, or rows would not be 1 byte to 2 GiB.
     */
    public static FormatSpec npy(final String dtype, final long columns)
    {
        final NpyDtype parsed = NpyDtype.parse(dtype);
        if (parsed.itemSize() < 1)
        {
            throw new IllegalArgumentException("npy dtype " + parsed + " has elements of 0 bytes, so rows of none");
        }

        if (columns < 1 || columns > Integer.MAX_VALUE || parsed.itemSize() * columns > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("npy columns must be at least 1 and rows below 2 GiB: " + columns);
        }

        final int rowBytes = (int)(parsed.itemSize() * columns);
        return new FormatSpec(Kind.NPY, rowBytes, parsed, (int)columns, rowBytes);
    }

    /**
     * TFRecord files.
     *
     * @param meanRecordBytes mean payload of generated records.
     * @return the spec.
     */
    public static FormatSpec tfrecord(final long meanRecordBytes)
    {
        return new FormatSpec(Kind.TFRECORD, 0, null, 0, checkMean(meanRecordBytes));
    }

    /**
     * WebDataset tar shards.
     *
     * @param meanSampleBytes mean size of generated samples.
     * @return the spec.
     */
    public static FormatSpec webdataset(final long meanSampleBytes)
    {
        return new FormatSpec(Kind.WEBDATASET, 0, null, 0, checkMean(meanSampleBytes));
    }

    /**
     * Parses a spec, see the class description for the forms.
     *
     * @param text the spec.
     * @return the spec.
     * @throws IllegalArgumentException naming the text and listing the accepted forms.
     */
    public static FormatSpec parse(final String text)
    {
        if (null == text)
        {
            throw new IllegalArgumentException("format is missing; " + ACCEPTED);
        }

        final String trimmed = text.trim();
        final int colon = trimmed.indexOf(':');
        final String name = (colon < 0 ? trimmed : trimmed.substring(0, colon)).toLowerCase(Locale.ROOT);
        final String argument = colon < 0 ? null : trimmed.substring(colon + 1);
        try
        {
            switch (name)
            {
                case "fixed":
                    if (null == argument)
                    {
                        throw new IllegalArgumentException("fixed needs a record size");
                    }
                    return fixed(Sizes.parse(argument));

                case "npy":
                    if (null == argument)
                    {
                        return npy(DEFAULT_NPY_DTYPE, DEFAULT_NPY_COLUMNS);
                    }
                    final int lastColon = argument.lastIndexOf(':');
                    if (lastColon < 0)
                    {
                        throw new IllegalArgumentException("npy needs both a dtype and a column count");
                    }
                    return npy(argument.substring(0, lastColon), parseColumns(argument.substring(lastColon + 1)));

                case "tfrecord":
                    return tfrecord(null == argument ? DEFAULT_TFRECORD_MEAN : Sizes.parse(argument));

                case "webdataset":
                case "tar":
                    return webdataset(null == argument ? DEFAULT_WEBDATASET_MEAN : Sizes.parse(argument));

                default:
                    throw new IllegalArgumentException("unknown format");
            }
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("bad format '" + text + "': " + ex.getMessage() + "; " + ACCEPTED, ex);
        }
    }

    /**
     * The format.
     *
     * @return the format.
     */
    public Kind kind()
    {
        return kind;
    }

    /**
     * Bytes per record where all records have one size: the record size of {@code fixed}, the row size
     * (item size times columns) of {@code npy}.
     *
     * @return bytes per record, or 0 for formats with records of varying size.
     */
    public int recordSize()
    {
        return recordSize;
    }

    /**
     * The dtype of {@code npy} in canonical form, e.g. {@code <f4}.
     *
     * @return the dtype, or null when the format is not {@code npy}.
     */
    public String npyDtype()
    {
        return null == npyDtype ? null : npyDtype.descr();
    }

    /**
     * Elements per row of {@code npy}.
     *
     * @return elements per row, or 0 when the format is not {@code npy}.
     */
    public int npyColumns()
    {
        return npyColumns;
    }

    /**
     * Mean bytes per record: the record size for {@code fixed} and {@code npy}, the generator's mean payload for
     * {@code tfrecord} and mean sample size for {@code webdataset}.
     *
     * @return mean bytes per record.
     */
    public int meanRecordSize()
    {
        return meanRecordSize;
    }

    /**
     * Extension of this format's files: {@code .bin}, {@code .npy}, {@code .tfrecord} or {@code .tar}.
     *
     * @return the extension, with its dot.
     */
    public String fileExtension()
    {
        return kind.extension();
    }

    /**
     * Whether records follow each other at a fixed stride, so their offsets can be computed rather than stored.
     *
     * @return true for {@code fixed} and {@code npy}.
     */
    public boolean fixedStride()
    {
        return kind == Kind.FIXED || kind == Kind.NPY;
    }

    @Override
    public boolean equals(final Object other)
    {
        if (this == other)
        {
            return true;
        }

        if (!(other instanceof FormatSpec))
        {
            return false;
        }

        final FormatSpec that = (FormatSpec)other;
        return kind == that.kind && recordSize == that.recordSize && npyColumns == that.npyColumns &&
            meanRecordSize == that.meanRecordSize && Objects.equals(npyDtype, that.npyDtype);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(kind, recordSize, npyDtype, npyColumns, meanRecordSize);
    }

    /**
     * The canonical text of the spec, e.g. {@code fixed:4096} or {@code npy:<f4:1024}.
     *
     * @return text that {@link #parse} turns back into an equal spec.
     */
    @Override
    public String toString()
    {
        switch (kind)
        {
            case FIXED:
                return kind.specName + ":" + recordSize;
            case NPY:
                return kind.specName + ":" + npyDtype.descr() + ":" + npyColumns;
            default:
                return kind.specName + ":" + meanRecordSize;
        }
    }

    private static int checkMean(final long mean)
    {
        if (mean < 1 || mean > MAX_MEAN)
        {
            throw new IllegalArgumentException("mean record size must be 1 byte to 1 GiB: " + mean);
        }

        return (int)mean;
    }

    private static long parseColumns(final String text)
    {
        try
        {
            return Long.parseLong(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad column count '" + text + "'");
        }
    }
}
