package io.stoker.dataset;

import java.util.Locale;
import java.util.Objects;

import io.stoker.dataset.format.MegatronDtype;
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
 *     <li>{@code megatron}, {@code megatron:<dtype>}, {@code megatron[:<dtype>]:seq:<tokens>}: Megatron-LM indexed
 *     datasets, {@code <name>.bin} and {@code <name>.idx}. Plain (or {@code :doc}), a record is a document; with
 *     {@code seq:N}, a record is a GPT sample of N + 1 tokens of the documents' concatenated tokens, one starting every
 *     N tokens, so consecutive samples share a token. The dtype ({@code uint16} unless given: {@code uint8},
 *     {@code int8}, {@code int16}, {@code int32}, {@code int64}, {@code float64}, {@code float32}, {@code uint16}) is
 *     what the generator writes; an index takes it from the {@code .idx} files. E.g. {@code megatron:int32},
 *     {@code megatron:seq:2048}.</li>
 *     <li>{@code mds} or {@code mds:<meanSampleBytes>}: MosaicML MDS shards listed by {@code index.json}, one record
 *     per sample; the mean (default 4096) only matters when generating.</li>
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
        WEBDATASET("webdataset", ".tar"),
        MEGATRON("megatron", ".bin"),
        MDS("mds", ".mds");

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
         * The kind a file name's extension says, {@code .tfrecords} counting as TFRecord and {@code .bin} as
         * {@link #FIXED} (a Megatron-LM {@code .bin} is told by the {@code .idx} beside it).
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
    /** Element type of plain {@code megatron}. */
    public static final MegatronDtype DEFAULT_MEGATRON_DTYPE = MegatronDtype.UINT16;
    /** Mean tokens of a document the generator writes for {@code megatron}. */
    public static final int MEGATRON_MEAN_DOCUMENT_TOKENS = 1024;
    /** Mean sample size of plain {@code mds}. */
    public static final int DEFAULT_MDS_MEAN = 4096;
    /** Largest mean record size, so that generated records stay well below 2 GiB. */
    public static final int MAX_MEAN = 1 << 30;

    private static final String ACCEPTED = "expected fixed:<recordBytes>, npy, npy:<dtype>:<columns>, tfrecord, " +
        "tfrecord:<meanRecordBytes>, webdataset (or tar), webdataset:<meanSampleBytes>, megatron, megatron:<dtype>, " +
        "megatron[:<dtype>]:seq:<tokens>, mds or mds:<meanSampleBytes>";

    private final Kind kind;
    private final int recordSize;
    private final int recordStride;
    private final NpyDtype npyDtype;
    private final int npyColumns;
    private final MegatronDtype megatronDtype;
    private final int sequenceLength;
    private final int meanRecordSize;

    private FormatSpec(
        final Kind kind,
        final int recordSize,
        final int recordStride,
        final NpyDtype npyDtype,
        final int npyColumns,
        final MegatronDtype megatronDtype,
        final int sequenceLength,
        final int meanRecordSize)
    {
        this.kind = kind;
        this.recordSize = recordSize;
        this.recordStride = recordStride;
        this.npyDtype = npyDtype;
        this.npyColumns = npyColumns;
        this.megatronDtype = megatronDtype;
        this.sequenceLength = sequenceLength;
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

        return new FormatSpec(Kind.FIXED, (int)recordSize, (int)recordSize, null, 0, null, 0, (int)recordSize);
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
        return new FormatSpec(Kind.NPY, rowBytes, rowBytes, parsed, (int)columns, null, 0, rowBytes);
    }

    /**
     * TFRecord files.
     *
     * @param meanRecordBytes mean payload of generated records.
     * @return the spec.
     */
    public static FormatSpec tfrecord(final long meanRecordBytes)
    {
        return new FormatSpec(Kind.TFRECORD, 0, 0, null, 0, null, 0, checkMean(meanRecordBytes));
    }

    /**
     * WebDataset tar shards.
     *
     * @param meanSampleBytes mean size of generated samples.
     * @return the spec.
     */
    public static FormatSpec webdataset(final long meanSampleBytes)
    {
        return new FormatSpec(Kind.WEBDATASET, 0, 0, null, 0, null, 0, checkMean(meanSampleBytes));
    }

    /**
     * Megatron-LM indexed datasets.
     *
     * @param dtype          element type of the tokens the generator writes.
     * @param sequenceLength 0 for a record per document; N for GPT samples of N + 1 tokens starting every N tokens.
     * @return the spec.
     * @throws IllegalArgumentException when samples would not be below 2 GiB.
     */
    public static FormatSpec megatron(final MegatronDtype dtype, final long sequenceLength)
    {
        final int itemSize = dtype.itemSize();
        if (sequenceLength < 0 || sequenceLength >= Integer.MAX_VALUE ||
            (sequenceLength + 1) * itemSize > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(
                "seq must be at least 1 token, and samples of seq + 1 " + dtype + " below 2 GiB: " + sequenceLength);
        }

        final int sampleBytes = sequenceLength > 0 ? (int)((sequenceLength + 1) * itemSize) : 0;
        final int mean = sequenceLength > 0 ? sampleBytes : MEGATRON_MEAN_DOCUMENT_TOKENS * itemSize;
        return new FormatSpec(Kind.MEGATRON, sampleBytes, (int)(sequenceLength * itemSize), null, 0, dtype,
            (int)sequenceLength, mean);
    }

    /**
     * MosaicML MDS shards.
     *
     * @param meanSampleBytes mean size of generated samples.
     * @return the spec.
     */
    public static FormatSpec mds(final long meanSampleBytes)
    {
        return new FormatSpec(Kind.MDS, 0, 0, null, 0, null, 0, checkMean(meanSampleBytes));
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

                case "megatron":
                    return parseMegatron(argument);

                case "mds":
                    return mds(null == argument ? DEFAULT_MDS_MEAN : Sizes.parse(argument));

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
     * (item size times columns) of {@code npy}, the sample size ((N + 1) tokens) of {@code megatron:...:seq:N}.
     *
     * @return bytes per record, or 0 for formats with records of varying size.
     */
    public int recordSize()
    {
        return recordSize;
    }

    /**
     * Bytes from the start of one record to the start of the next where records follow at a fixed stride: the
     * record size, except for {@code megatron:...:seq:N}, whose samples start every N tokens and so overlap by one.
     *
     * @return bytes from record to record, or 0 where {@link #fixedStride()} is false.
     */
    public int recordStride()
    {
        return recordStride;
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
     * The element type of {@code megatron}.
     *
     * @return the element type, or null when the format is not {@code megatron}.
     */
    public MegatronDtype megatronDtype()
    {
        return megatronDtype;
    }

    /**
     * The GPT sequence length N of {@code megatron:...:seq:N}, in tokens.
     *
     * @return N, or 0 when records are documents or the format is not {@code megatron}.
     */
    public int sequenceLength()
    {
        return sequenceLength;
    }

    /**
     * Mean bytes per record: the record size for {@code fixed}, {@code npy} and {@code megatron:...:seq:N}, the
     * generator's mean payload for {@code tfrecord}, mean sample size for {@code webdataset} and {@code mds}, and
     * mean document size for {@code megatron}.
     *
     * @return mean bytes per record.
     */
    public int meanRecordSize()
    {
        return meanRecordSize;
    }

    /**
     * Extension of this format's shard files: {@code .bin}, {@code .npy}, {@code .tfrecord}, {@code .tar} or
     * {@code .mds}.
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
     * @return true for {@code fixed}, {@code npy} and {@code megatron:...:seq:N}.
     */
    public boolean fixedStride()
    {
        return recordStride > 0;
    }

    /**
     * Whether a chunk's bytes tell where its records start: TFRecord's length framing and tar's 512-byte headers.
     * A worker finds the boundaries in the chunk when it arrives ({@link ChunkRecords}), so the manifest does not
     * store them.
     *
     * @return true for {@code tfrecord} and {@code webdataset}.
     */
    public boolean boundariesInData()
    {
        return kind == Kind.TFRECORD || kind == Kind.WEBDATASET;
    }

    /**
     * Whether the manifest stores where each record starts: records of varying size whose boundaries are not in
     * the chunk's bytes ({@code megatron} documents, whose sizes are in the {@code .idx}, and {@code mds}, whose
     * offsets are in its index).
     *
     * @return true when neither {@link #fixedStride()} nor {@link #boundariesInData()}.
     */
    public boolean storesRecordOffsets()
    {
        return !fixedStride() && !boundariesInData();
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
        return kind == that.kind && recordSize == that.recordSize && recordStride == that.recordStride &&
            npyColumns == that.npyColumns && meanRecordSize == that.meanRecordSize &&
            Objects.equals(npyDtype, that.npyDtype) && megatronDtype == that.megatronDtype &&
            sequenceLength == that.sequenceLength;
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(kind, recordSize, npyDtype, npyColumns, megatronDtype, sequenceLength, meanRecordSize);
    }

    /**
     * The canonical text of the spec, e.g. {@code fixed:4096}, {@code npy:<f4:1024} or
     * {@code megatron:uint16:seq:2048}.
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
            case MEGATRON:
                return kind.specName + ":" + megatronDtype + (sequenceLength > 0 ? ":seq:" + sequenceLength : "");
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

    /**
     * The argument of {@code megatron}: an optional dtype, then an optional mode, {@code doc} or {@code seq:N}.
     */
    private static FormatSpec parseMegatron(final String argument)
    {
        if (null == argument)
        {
            return megatron(DEFAULT_MEGATRON_DTYPE, 0);
        }

        final String[] parts = argument.split(":", -1);
        int next = 0;
        MegatronDtype dtype = MegatronDtype.ofName(parts[0].trim());
        if (null != dtype)
        {
            next++;
        }
        else
        {
            dtype = DEFAULT_MEGATRON_DTYPE;
        }

        long sequenceLength = 0;
        if (next < parts.length && parts[next].trim().equalsIgnoreCase("doc"))
        {
            next++;
        }
        else if (next < parts.length && parts[next].trim().equalsIgnoreCase("seq"))
        {
            if (next + 1 >= parts.length)
            {
                throw new IllegalArgumentException("seq needs a sequence length in tokens");
            }
            sequenceLength = parseCount(parts[next + 1], "sequence length");
            if (sequenceLength < 1)
            {
                throw new IllegalArgumentException("seq must be at least 1 token: " + sequenceLength);
            }
            next += 2;
        }

        if (next < parts.length)
        {
            throw new IllegalArgumentException("'" + parts[next] + "' is neither a Megatron dtype (" +
                MegatronDtype.describe(false) + ") nor a mode (doc or seq:<tokens>)");
        }

        return megatron(dtype, sequenceLength);
    }

    private static long parseColumns(final String text)
    {
        return parseCount(text, "column count");
    }

    private static long parseCount(final String text, final String what)
    {
        try
        {
            return Long.parseLong(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad " + what + " '" + text + "'");
        }
    }
}
