package io.stoker.dataset.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.function.LongToIntFunction;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.SplitMix64;

/**
 * TFRecord files. Each record is framed as
 * <pre>
 *   uint64 length (little-endian)
 *   uint32 masked CRC32C of the 8 length bytes
 *   byte   data[length]
 *   uint32 masked CRC32C of the data
 * </pre>
 * and the record boundary reported is the whole frame. Both CRCs are verified while scanning.
 */
public final class TfRecordFormat implements RecordFormat
{
    /** Bytes of framing around each record's data. */
    public static final int FRAMING_BYTES = Long.BYTES + 2 * Integer.BYTES;

    private static final int HEADER_BYTES = Long.BYTES + Integer.BYTES;
    private static final int MASK_DELTA = 0xA282EAD8;

    private final FormatSpec spec;
    private final Crc32c crc = new Crc32c();
    private final ByteBuffer lengthBytes = ByteBuffer.allocateDirect(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);

    /**
     * The format for a spec.
     *
     * @param spec a {@code tfrecord} spec; its mean is used when writing.
     */
    public TfRecordFormat(final FormatSpec spec)
    {
        this.spec = spec;
    }

    /**
     * TFRecord's masking of a CRC, meant to keep CRCs of data that holds CRCs well distributed.
     *
     * @param crc a CRC32C.
     * @return the masked CRC as stored in TFRecord files.
     */
    public static int mask(final int crc)
    {
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }

    @Override
    public FormatSpec scan(final ShardInput shard, final RecordSink sink)
    {
        frames(shard, sink, true);
        return spec;
    }

    /**
     * The length framing only: each length's CRC is checked, the data's is left to the chunk's CRC32C, already
     * checked over the same bytes.
     */
    @Override
    public void boundaries(final ShardInput chunk, final RecordSink sink)
    {
        frames(chunk, sink, false);
    }

    private void frames(final ShardInput shard, final RecordSink sink, final boolean checkData)
    {
        final long fileLength = shard.length();
        long position = 0;
        while (position < fileLength)
        {
            shard.require(position, HEADER_BYTES, "TFRecord header");
            int index = shard.map(position, HEADER_BYTES);
            final long dataLength = shard.buffer().getLong(index);
            final int storedLengthCrc = shard.buffer().getInt(index + Long.BYTES);
            final int lengthCrc = mask(crc.compute(shard.buffer(), index, Long.BYTES));
            if (lengthCrc != storedLengthCrc)
            {
                throw new DatasetException(shard.file(), position,
                    "TFRecord length CRC mismatch: stored " + hex(storedLengthCrc) + ", computed " + hex(lengthCrc));
            }

            if (dataLength < 0 || dataLength > Integer.MAX_VALUE - FRAMING_BYTES)
            {
                throw new DatasetException(shard.file(), position, "TFRecord of " +
                    Long.toUnsignedString(dataLength) + " bytes: records must be below 2 GiB");
            }

            final int recordLength = (int)dataLength + FRAMING_BYTES;
            shard.require(position, recordLength, "TFRecord");
            if (checkData)
            {
                index = shard.map(position, recordLength);
                final int dataCrc = mask(crc.compute(shard.buffer(), index + HEADER_BYTES, (int)dataLength));
                final int storedDataCrc = shard.buffer().getInt(index + HEADER_BYTES + (int)dataLength);
                if (dataCrc != storedDataCrc)
                {
                    throw new DatasetException(shard.file(), position,
                        "TFRecord data CRC mismatch: stored " + hex(storedDataCrc) + ", computed " + hex(dataCrc));
                }
            }

            sink.onRecords(position, recordLength, 1);
            position += recordLength;
        }
    }

    /**
     * Payloads are uniform in {@code [mean/2, 3*mean/2]}.
     */
    @Override
    public int drawPayloadLength(final SplitMix64 sizes)
    {
        final int mean = spec.meanRecordSize();
        return sizes.nextInt(mean / 2, mean / 2 + mean);
    }

    @Override
    public long recordLength(final long index, final int payloadLength)
    {
        return (long)payloadLength + FRAMING_BYTES;
    }

    @Override
    public void beginShard(final ShardOutput out, final long recordCount, final LongToIntFunction payloadLengths)
    {
    }

    @Override
    public void writeRecord(final ShardOutput out, final long index, final int payloadLength, final SplitMix64 content)
    {
        lengthBytes.putLong(0, payloadLength);
        out.putLong(payloadLength);
        out.putInt(mask(crc.compute(lengthBytes, 0, Long.BYTES)));
        crc.reset();
        out.putRandom(payloadLength, content, crc);
        out.putInt(mask(crc.value()));
    }

    @Override
    public void endShard(final ShardOutput out)
    {
    }

    private static String hex(final int value)
    {
        return String.format(Locale.ROOT, "0x%08x", value);
    }
}
