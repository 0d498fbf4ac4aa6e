package io.stoker.dataset.format;

/**
 * Receives the record boundaries a {@link RecordFormat} finds in a shard, in file order.
 */
@FunctionalInterface
public interface RecordSink
{
    /**
     * {@code count} consecutive records of {@code length} bytes each, the first starting at {@code offset}. Formats
     * with fixed-size records report a shard in one call, others call once per record.
     *
     * @param offset byte offset of the first record in the shard file.
     * @param length bytes of each record, at least one.
     * @param count  number of records, at least one.
     */
    void onRecords(long offset, int length, long count);

    /**
     * {@code count} records of {@code length} bytes each, the first starting at {@code offset} and each next one
     * {@code stride} bytes after the one before: records overlap when the stride is less than the length, as the
     * samples of {@code megatron:...:seq:N} do. This default reports them one by one to {@link #onRecords}, which
     * suits sinks that only list records; a sink that groups them must take overlapping records as they are.
     *
     * @param offset byte offset of the first record in the shard file.
     * @param stride bytes from the start of one record to the start of the next, at least one.
     * @param length bytes of each record, at least {@code stride}.
     * @param count  number of records, at least one.
     */
    default void onStridedRecords(final long offset, final int stride, final int length, final long count)
    {
        if (stride == length)
        {
            onRecords(offset, length, count);
            return;
        }

        for (long i = 0; i < count; i++)
        {
            onRecords(offset + i * stride, length, 1);
        }
    }
}
