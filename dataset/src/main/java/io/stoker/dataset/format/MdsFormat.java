package io.stoker.dataset.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToIntFunction;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.SplitMix64;

/**
 * MosaicML MDS shards ({@code shard.NNNNN.mds}, listed by {@link MdsIndex index.json}), as mosaicml/streaming's
 * {@code MDSWriter} writes them, little-endian:
 * <pre>
 *   u32 n, the sample count
 *   u32 offsets[n + 1], from the start of the file: sample i is offsets[i] to offsets[i + 1]
 *   the shard's config, JSON, up to offsets[0]
 *   the samples, up to offsets[n], the end of the file
 * </pre>
 * A record is one sample's raw bytes, its columns as written (see {@link MdsColumns}). Offsets are checked against
 * the file (rising, the first after the header and config, the last at the end of the file), and every sample
 * against the config's column sizes.
 * <p>
 * Synthetic samples have two columns, {@code id} ({@code int64}, the record index) and {@code tokens}
 * ({@code bytes}, random), so a sample is the u32 size of {@code tokens}, then {@code id}, then {@code tokens}.
 */
public final class MdsFormat implements RecordFormat
{
    /** Bytes of a synthetic sample besides its {@code tokens}: the size of {@code tokens}, and {@code id}. */
    static final int SAMPLE_OVERHEAD = Integer.BYTES + Long.BYTES;

    private static final int HEADER_ENTRY_BYTES = Integer.BYTES;
    private static final int MAX_CONFIG_BYTES = 1 << 20;
    private static final long MAX_U32 = 0xFFFF_FFFFL;
    private static final long SIZE_LIMIT = 1 << 26;
    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] CONFIG = json(MdsFormat::writeConfig);

    /**
     * A shard written, for {@code index.json}.
     */
    private record WrittenShard(String basename, long bytes, long samples)
    {
    }

    private final FormatSpec spec;
    private final List<WrittenShard> written = new ArrayList<>();
    private long shardSamples;

    /**
     * The format for a spec.
     *
     * @param spec an {@code mds} spec; its mean is used when writing.
     */
    public MdsFormat(final FormatSpec spec)
    {
        this.spec = spec;
    }

    @Override
    public FormatSpec scan(final ShardInput shard, final RecordSink sink)
    {
        final long length = shard.length();
        shard.require(0, HEADER_ENTRY_BYTES, "MDS sample count");
        final long samples = u32(shard, 0);
        final long headerEnd = HEADER_ENTRY_BYTES * (samples + 2);
        shard.require(HEADER_ENTRY_BYTES, HEADER_ENTRY_BYTES * (samples + 1), "MDS sample offsets");

        final long first = u32(shard, HEADER_ENTRY_BYTES);
        if (first < headerEnd || first > length)
        {
            throw new DatasetException(shard.file(), HEADER_ENTRY_BYTES, "first MDS sample offset " + first +
                (first < headerEnd ? " is inside the header of " + samples + " offsets, which ends at " + headerEnd :
                " is past the end of the file (" + length + " bytes)"));
        }

        try (ShardInput data = new ShardInput(shard.file()))
        {
            final MdsColumns columns = readConfig(data, headerEnd, first);
            long start = first;
            for (long i = 0; i < samples; i++)
            {
                final long at = HEADER_ENTRY_BYTES * (i + 2);
                final long end = u32(shard, at);
                if (end <= start || end > length)
                {
                    throw new DatasetException(shard.file(), at, "MDS sample " + i + " ends at byte " + end + ", " +
                        (end > length ? "past the end of the file (" + length + " bytes)" :
                        "not after its start " + start + ": offsets must rise"));
                }

                if (end - start > Integer.MAX_VALUE)
                {
                    throw new DatasetException(shard.file(), start,
                        "MDS sample of " + (end - start) + " bytes: records must be below 2 GiB");
                }

                columns.checkSample(data, start, end - start, i);
                sink.onRecords(start, (int)(end - start), 1);
                start = end;
            }

            if (start != length)
            {
                throw new DatasetException(shard.file(), start, (length - start) + " bytes after the last of " +
                    samples + " MDS samples");
            }
        }

        return spec;
    }

    /**
     * Sizes of {@code tokens} are uniform in {@code [m/2, 3*m/2]}, m the mean sample size less the other bytes.
     */
    @Override
    public int drawPayloadLength(final SplitMix64 sizes)
    {
        final int mean = Math.max(2, spec.meanRecordSize() - SAMPLE_OVERHEAD);
        return sizes.nextInt(mean / 2, mean / 2 + mean);
    }

    @Override
    public long recordLength(final long index, final int payloadLength)
    {
        return (long)payloadLength + SAMPLE_OVERHEAD;
    }

    /**
     * Writes the sample count, the offsets and the config.
     */
    @Override
    public void beginShard(final ShardOutput out, final long recordCount, final LongToIntFunction payloadLengths)
    {
        long offset = HEADER_ENTRY_BYTES * (recordCount + 2) + CONFIG.length;
        final long[] offsets = new long[(int)recordCount + 1];
        for (int i = 0; i <= recordCount; i++)
        {
            offsets[i] = offset;
            offset += i < recordCount ? recordLength(i, payloadLengths.applyAsInt(i)) : 0;
        }

        if (offsets[(int)recordCount] > MAX_U32)
        {
            throw new IllegalArgumentException("an MDS shard of " + offsets[(int)recordCount] + " bytes: MDS " +
                "offsets are 32-bit, so shards must be below 4 GiB; give a smaller shard size");
        }

        out.putInt((int)recordCount);
        for (final long value : offsets)
        {
            out.putInt((int)value);
        }
        out.putBytes(CONFIG, 0, CONFIG.length);
        shardSamples = recordCount;
    }

    @Override
    public void writeRecord(final ShardOutput out, final long index, final int payloadLength, final SplitMix64 content)
    {
        out.putInt(payloadLength);
        out.putLong(index);
        out.putRandom(payloadLength, content, null);
    }

    @Override
    public void endShard(final ShardOutput out)
    {
        written.add(new WrittenShard(out.file().getFileName().toString(), out.position(), shardSamples));
    }

    /**
     * Writes {@code index.json}, as mosaicml/streaming does: each shard's config, with its file and sample count.
     */
    @Override
    public void endDataset(final ShardOutput out, final Path dir)
    {
        final byte[] index = json(this::writeIndex);
        out.open(dir.resolve(MdsIndex.FILE_NAME));
        out.putBytes(index, 0, index.length);
    }

    private static MdsColumns readConfig(final ShardInput data, final long start, final long end)
    {
        if (end - start > MAX_CONFIG_BYTES)
        {
            throw new DatasetException(data.file(), start,
                "MDS shard config of " + (end - start) + " bytes is larger than " + MAX_CONFIG_BYTES);
        }

        final byte[] config = new byte[(int)(end - start)];
        if (config.length > 0)
        {
            final int index = data.map(start, config.length);
            data.buffer().get(index, config);
        }

        return MdsColumns.parse(data.file(), start, config);
    }

    private static long u32(final ShardInput shard, final long offset)
    {
        final int index = shard.map(offset, Integer.BYTES);
        return shard.buffer().getInt(index) & MAX_U32;
    }

    private void writeIndex(final JsonGenerator json) throws IOException
    {
        json.writeStartObject();
        json.writeArrayFieldStart("shards");
        for (final WrittenShard shard : written)
        {
            json.writeStartObject();
            writeColumns(json);
            json.writeObjectFieldStart("raw_data");
            json.writeStringField("basename", shard.basename());
            json.writeNumberField("bytes", shard.bytes());
            json.writeObjectFieldStart("hashes");
            json.writeEndObject();
            json.writeEndObject();
            json.writeNumberField("samples", shard.samples());
            writeLimitAndVersion(json);
            json.writeNullField("zip_data");
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeNumberField("version", 2);
        json.writeEndObject();
    }

    /**
     * The shard config, its keys sorted as Python's {@code json.dumps(..., sort_keys=True)} sorts them.
     */
    private static void writeConfig(final JsonGenerator json) throws IOException
    {
        json.writeStartObject();
        writeColumns(json);
        writeLimitAndVersion(json);
        json.writeEndObject();
    }

    private static void writeColumns(final JsonGenerator json) throws IOException
    {
        json.writeArrayFieldStart("column_encodings");
        json.writeString("int64");
        json.writeString("bytes");
        json.writeEndArray();
        json.writeArrayFieldStart("column_names");
        json.writeString("id");
        json.writeString("tokens");
        json.writeEndArray();
        json.writeArrayFieldStart("column_sizes");
        json.writeNumber(Long.BYTES);
        json.writeNull();
        json.writeEndArray();
        json.writeNullField("compression");
        json.writeStringField("format", "mds");
        json.writeArrayFieldStart("hashes");
        json.writeEndArray();
    }

    private static void writeLimitAndVersion(final JsonGenerator json) throws IOException
    {
        json.writeNumberField("size_limit", SIZE_LIMIT);
        json.writeNumberField("version", 2);
    }

    @FunctionalInterface
    private interface JsonWriter
    {
        void write(JsonGenerator json) throws IOException;
    }

    private static byte[] json(final JsonWriter writer)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(bytes))
        {
            writer.write(json);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }

        return bytes.toByteArray();
    }
}
