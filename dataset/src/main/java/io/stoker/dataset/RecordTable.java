package io.stoker.dataset;

/**
 * Flyweight over the records of one chunk, filled by {@link Manifest#recordsOf(int, RecordTable)}. Reuse one
 * instance: filling it does not allocate.
 * <p>
 * Records start in increasing order. They follow each other back to back, except in a strided view whose records
 * are longer than their stride ({@code megatron:...:seq:N}: N + 1 tokens every N tokens), where each record shares
 * its last bytes with the next.
 */
public final class RecordTable
{
    private int count;
    private int stride;
    private int recordLength;
    private int[] offsets;
    private int base;
    private int chunkLength;

    /**
     * Number of records in the chunk.
     *
     * @return number of records in the chunk.
     */
    public int count()
    {
        return count;
    }

    /**
     * The length every record has, where the format's records are all one size.
     *
     * @return the fixed record length: record {@code i} is at {@code i * stride()}; 0 when lengths vary.
     */
    public int stride()
    {
        return stride;
    }

    /**
     * Where a record starts.
     *
     * @param i record index within the chunk, {@code 0 <= i < count()}.
     * @return the record's byte offset from the start of the chunk.
     */
    public int offset(final int i)
    {
        checkIndex(i);
        return stride > 0 ? i * stride : offsets[base + i];
    }

    /**
     * How long a record is.
     *
     * @param i record index within the chunk, {@code 0 <= i < count()}.
     * @return the record's length in bytes.
     */
    public int length(final int i)
    {
        checkIndex(i);
        if (stride > 0)
        {
            return recordLength;
        }

        final int end = i + 1 < count ? offsets[base + i + 1] : chunkLength;
        return end - offsets[base + i];
    }

    void wrapStride(final int count, final int stride, final int recordLength)
    {
        this.count = count;
        this.stride = stride;
        this.recordLength = recordLength;
        this.offsets = null;
    }

    void wrapOffsets(final int[] offsets, final int base, final int count, final int chunkLength)
    {
        this.count = count;
        this.stride = 0;
        this.recordLength = 0;
        this.offsets = offsets;
        this.base = base;
        this.chunkLength = chunkLength;
    }

    private void checkIndex(final int i)
    {
        if (i < 0 || i >= count)
        {
            throw new IndexOutOfBoundsException("record " + i + " of " + count);
        }
    }
}
