package io.stoker.dataset;

/**
 * Flyweight over the records of one chunk, filled by {@link ChunkRecords}. Reuse one instance: filling it does not
 * allocate, but for boundaries found in a chunk's bytes, kept in an array of the table's own that grows to the most
 * records a chunk had.
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
    private int[] found = new int[0];

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

    /**
     * Make this table describe the same records as another, which may then be filled anew: boundaries found in
     * the other's chunk bytes are copied, the others shared.
     *
     * @param other the table to copy.
     */
    public void copyFrom(final RecordTable other)
    {
        if (null != other.offsets && other.offsets == other.found)
        {
            final int[] into = foundOffsets(other.count);
            System.arraycopy(other.found, 0, into, 0, other.count);
            wrapFound(other.count, other.chunkLength);
            return;
        }
        count = other.count;
        stride = other.stride;
        recordLength = other.recordLength;
        offsets = other.offsets;
        base = other.base;
        chunkLength = other.chunkLength;
    }

    /**
     * @return the table's own array for offsets found in a chunk's bytes, with room for at least {@code capacity}.
     */
    int[] foundOffsets(final int capacity)
    {
        if (found.length < capacity)
        {
            found = new int[capacity];
        }
        return found;
    }

    void wrapFound(final int count, final int chunkLength)
    {
        wrapOffsets(found, 0, count, chunkLength);
    }

    private void checkIndex(final int i)
    {
        if (i < 0 || i >= count)
        {
            throw new IndexOutOfBoundsException("record " + i + " of " + count);
        }
    }
}
