package io.stoker.dataset;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.collections.IntArrayList;
import org.agrona.collections.LongArrayList;

/**
 * What {@link DatasetGenerator} wrote: the directory, the format, the shard files and, as the generator itself
 * laid them out, every record's shard, offset and length, against which an index can be checked.
 * <p>
 * Records are numbered from 0 across the dataset in shard order. Records at a fixed stride are kept as one run per
 * shard, others with an offset and a length each. For {@code megatron:...:seq:N} the generator writes documents,
 * and the records are the samples they make, worked out here from the tokens each shard got: N + 1 tokens every N
 * tokens from the start of the {@code .bin}, as many as end within it.
 */
public final class GeneratedDataset
{
    private final Path dir;
    private final FormatSpec format;
    private final List<String> shardNames;
    private final long[] shardFirstRecord;
    private final long[] shardFirstOffset;
    private final long[] recordOffsets;
    private final int[] recordLengths;
    private final long totalBytes;

    private GeneratedDataset(
        final Path dir,
        final FormatSpec format,
        final List<String> shardNames,
        final long[] shardFirstRecord,
        final long[] shardFirstOffset,
        final long[] recordOffsets,
        final int[] recordLengths,
        final long totalBytes)
    {
        this.dir = dir;
        this.format = format;
        this.shardNames = shardNames;
        this.shardFirstRecord = shardFirstRecord;
        this.shardFirstOffset = shardFirstOffset;
        this.recordOffsets = recordOffsets;
        this.recordLengths = recordLengths;
        this.totalBytes = totalBytes;
    }

    /**
     * The dataset directory.
     *
     * @return the dataset directory.
     */
    public Path dir()
    {
        return dir;
    }

    /**
     * The format written.
     *
     * @return the format written.
     */
    public FormatSpec format()
    {
        return format;
    }

    /**
     * The shard files written, in order.
     *
     * @return the shard file names, relative to the directory.
     */
    public List<String> shardNames()
    {
        return shardNames;
    }

    /**
     * Number of records written.
     *
     * @return number of records written.
     */
    public long recordCount()
    {
        return shardFirstRecord[shardFirstRecord.length - 1];
    }

    /**
     * Bytes of all records, framing included but not what lies between records such as file headers; the token
     * that consecutive {@code megatron:...:seq:N} samples share counts in each.
     *
     * @return sum of the record lengths.
     */
    public long totalBytes()
    {
        return totalBytes;
    }

    /**
     * The shard file holding a record.
     *
     * @param record record number.
     * @return the shard file's name.
     */
    public String recordShard(final long record)
    {
        return shardNames.get(shardOf(record));
    }

    /**
     * Where a record starts.
     *
     * @param record record number.
     * @return byte offset of the record in its shard file.
     */
    public long recordOffset(final long record)
    {
        if (null != recordOffsets)
        {
            return recordOffsets[checkedIndex(record)];
        }

        final int shard = shardOf(record);
        return shardFirstOffset[shard] + (record - shardFirstRecord[shard]) * format.recordStride();
    }

    /**
     * How long a record is, framing included: the boundary an index should find.
     *
     * @param record record number.
     * @return bytes of the record.
     */
    public int recordLength(final long record)
    {
        final int index = checkedIndex(record);
        return null != recordLengths ? recordLengths[index] : format.recordSize();
    }

    /**
     * The last shard whose first record is at most the record: a shard without records (a Megatron shard too short
     * for a sample) has the same first record as the shard after it, so it is never the last.
     */
    private int shardOf(final long record)
    {
        checkedIndex(record);
        int low = 0;
        int high = shardFirstRecord.length - 2;
        while (low < high)
        {
            final int middle = (low + high + 1) >>> 1;
            if (shardFirstRecord[middle] <= record)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    private int checkedIndex(final long record)
    {
        if (record < 0 || record >= recordCount())
        {
            throw new IndexOutOfBoundsException("record " + record + " of " + recordCount());
        }

        return (int)record;
    }

    /**
     * Collects records as the generator writes them.
     */
    static final class Builder
    {
        private final Path dir;
        private final FormatSpec format;
        private final boolean samples;
        private final List<String> shardNames = new ArrayList<>();
        private final LongArrayList shardFirstRecord = new LongArrayList();
        private final LongArrayList shardFirstOffset = new LongArrayList();
        private final LongArrayList recordOffsets = new LongArrayList();
        private final IntArrayList recordLengths = new IntArrayList();
        private long recordCount;
        private long totalBytes;
        private long shardBytes;

        Builder(final Path dir, final FormatSpec format)
        {
            this.dir = dir;
            this.format = format;
            this.samples = format.kind() == FormatSpec.Kind.MEGATRON && format.sequenceLength() > 0;
        }

        void beginShard(final String name)
        {
            shardNames.add(name);
            shardFirstRecord.addLong(recordCount);
            shardFirstOffset.addLong(-1);
        }

        /**
         * The generator wrote a record, or for {@code megatron:...:seq:N} a document.
         */
        void wrote(final long offset, final int length)
        {
            if (samples)
            {
                shardBytes += length;
                return;
            }

            addRecord(offset, length);
        }

        /**
         * The generator ended a shard: a Megatron {@code .bin} of documents gets its samples now.
         */
        void endShard()
        {
            if (samples)
            {
                final int itemSize = format.megatronDtype().itemSize();
                final long tokens = shardBytes / itemSize;
                final int n = format.sequenceLength();
                for (long sample = 0; (sample + 1) * n < tokens; sample++)
                {
                    addRecord(sample * n * itemSize, format.recordSize());
                }
                shardBytes = 0;
            }
        }

        private void addRecord(final long offset, final int length)
        {
            final int shard = shardNames.size() - 1;
            if (shardFirstOffset.getLong(shard) < 0)
            {
                shardFirstOffset.setLong(shard, offset);
            }

            if (!format.fixedStride())
            {
                recordOffsets.addLong(offset);
                recordLengths.addInt(length);
            }

            recordCount++;
            totalBytes += length;
        }

        GeneratedDataset build()
        {
            shardFirstRecord.addLong(recordCount);
            final boolean perRecord = !format.fixedStride();
            return new GeneratedDataset(dir, format, List.copyOf(shardNames), shardFirstRecord.toLongArray(),
                shardFirstOffset.toLongArray(), perRecord ? recordOffsets.toLongArray() : null,
                perRecord ? recordLengths.toIntArray() : null, totalBytes);
        }
    }
}
