package io.stoker.dataset.format;

import java.nio.file.Path;
import java.util.function.LongToIntFunction;

import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.SplitMix64;

/**
 * One record format: finds the record boundaries of a shard file, and writes synthetic shards.
 * <p>
 * Instances hold scratch state and are not thread-safe: use one per thread.
 */
public interface RecordFormat
{
    /**
     * The format for a spec.
     *
     * @param spec the format and its parameters.
     * @return a new instance.
     */
    static RecordFormat of(final FormatSpec spec)
    {
        switch (spec.kind())
        {
            case FIXED:
                return new FixedFormat(spec);
            case NPY:
                return new NpyFormat(spec);
            case TFRECORD:
                return new TfRecordFormat(spec);
            case WEBDATASET:
                return new WebDatasetFormat(spec);
            case MEGATRON:
                return new MegatronFormat(spec);
            case MDS:
                return new MdsFormat(spec);
            default:
                throw new IllegalArgumentException("unknown format kind: " + spec.kind());
        }
    }

    /**
     * Finds the records of a shard and reports them to the sink in file order.
     *
     * @param shard the shard file.
     * @param sink  receives the records.
     * @return the format of this shard's records: the spec this format was made with, except for {@code .npy},
     * whose dtype and columns come from the file's header, and {@code megatron}, whose dtype comes from the
     * {@code .idx}.
     * @throws io.stoker.dataset.DatasetException naming the file and offset of bad input.
     */
    FormatSpec scan(ShardInput shard, RecordSink sink);

    /**
     * Finds the records of a chunk's bytes, for a format whose boundaries are in the data
     * ({@link FormatSpec#boundariesInData()}), and reports them to the sink in order. The chunk's CRC32C was
     * checked already, so a format may skip checks that only guard the bytes' integrity; the framing is still
     * checked as hostile input. By default the same as {@link #scan}.
     *
     * @param chunk the chunk's bytes, read as a whole file.
     * @param sink  receives the records.
     * @throws io.stoker.dataset.DatasetException naming the offset within the chunk of bad framing.
     */
    default void boundaries(final ShardInput chunk, final RecordSink sink)
    {
        scan(chunk, sink);
    }

    /**
     * Whether every synthetic record has the same payload length, so that the generator need not keep them.
     *
     * @return true where {@link #drawPayloadLength} draws nothing.
     */
    default boolean fixedPayload()
    {
        return false;
    }

    /**
     * Draws the payload length of the next synthetic record; fixed-size formats draw nothing.
     *
     * @param sizes random source for sizes.
     * @return the payload length, the argument to pass to {@link #recordLength} and {@link #writeRecord}.
     */
    int drawPayloadLength(SplitMix64 sizes);

    /**
     * Bytes a synthetic record will take in the file, framing included: the record boundary {@link #scan} reports.
     *
     * @param index         index of the record in the dataset.
     * @param payloadLength from {@link #drawPayloadLength}.
     * @return bytes of the record in the file.
     */
    long recordLength(long index, int payloadLength);

    /**
     * Writes what comes before the first record of a shard.
     *
     * @param out            the shard being written.
     * @param recordCount    number of records the shard will hold.
     * @param payloadLengths the payload length of each of them, by index in the shard, for headers that list the
     *                       records (MDS).
     */
    void beginShard(ShardOutput out, long recordCount, LongToIntFunction payloadLengths);

    /**
     * Writes one synthetic record of exactly {@link #recordLength} bytes.
     *
     * @param out           the shard being written.
     * @param index         index of the record in the dataset.
     * @param payloadLength from {@link #drawPayloadLength}.
     * @param content       random source for the record's bytes.
     */
    void writeRecord(ShardOutput out, long index, int payloadLength, SplitMix64 content);

    /**
     * Writes what comes after the last record of a shard. A format that keeps metadata beside the shard (a
     * Megatron-LM {@code .idx}) writes it here by opening it on {@code out}.
     *
     * @param out the shard being written.
     */
    void endShard(ShardOutput out);

    /**
     * Writes what a dataset needs beside its shards once they are all written, opening it on {@code out}: MDS's
     * {@code index.json}. Nothing by default.
     *
     * @param out the output that wrote the shards.
     * @param dir the dataset directory.
     */
    default void endDataset(ShardOutput out, Path dir)
    {
    }
}
