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
}
