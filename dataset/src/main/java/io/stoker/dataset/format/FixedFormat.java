package io.stoker.dataset.format;

import java.util.function.LongToIntFunction;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.SplitMix64;

/**
 * Raw files of fixed-size records back to back, nothing else: the file length must be a multiple of the record size.
 */
public final class FixedFormat implements RecordFormat
{
    private final FormatSpec spec;
    private final int recordSize;

    /**
     * The format for a spec.
     *
     * @param spec a {@code fixed} spec.
     */
    public FixedFormat(final FormatSpec spec)
    {
        this.spec = spec;
        this.recordSize = spec.recordSize();
    }

    @Override
    public FormatSpec scan(final ShardInput shard, final RecordSink sink)
    {
        final long count = shard.length() / recordSize;
        final long partialStart = count * recordSize;
        if (partialStart != shard.length())
        {
            throw new DatasetException(shard.file(), partialStart, "partial record: " +
                (shard.length() - partialStart) + " bytes left at the end, records are " + recordSize + " bytes");
        }

        if (count > 0)
        {
            sink.onRecords(0, recordSize, count);
        }

        return spec;
    }

    @Override
    public boolean fixedPayload()
    {
        return true;
    }

    @Override
    public int drawPayloadLength(final SplitMix64 sizes)
    {
        return recordSize;
    }

    @Override
    public long recordLength(final long index, final int payloadLength)
    {
        return payloadLength;
    }

    @Override
    public void beginShard(final ShardOutput out, final long recordCount, final LongToIntFunction payloadLengths)
    {
    }

    @Override
    public void writeRecord(final ShardOutput out, final long index, final int payloadLength, final SplitMix64 content)
    {
        out.putRandom(payloadLength, content, null);
    }

    @Override
    public void endShard(final ShardOutput out)
    {
    }
}
