package io.stoker.dataset.format;

import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongToIntFunction;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.SplitMix64;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.LongArrayList;

/**
 * Megatron-LM indexed datasets: a shard is a {@code .bin} of tokens, read through the {@code .idx} beside it
 * ({@code <name>.bin}, {@code <name>.idx}; see {@link MegatronIndex} for the layout and its checks). The
 * {@code .idx} is metadata: only the {@code .bin}'s bytes are chunked and served.
 * <ul>
 *     <li>{@code megatron}: a record is a document, its sequences' tokens back to back. A document of no tokens is
 *     no record (a record is at least one byte), so record numbers skip it.</li>
 *     <li>{@code megatron:...:seq:N}, the GPT convention: the documents' tokens are one stream, and sample k is its
 *     N + 1 tokens from token k * N, so consecutive samples share a token; the tail of the stream that makes no
 *     whole sample is no record.</li>
 * </ul>
 * Synthetic documents are 1, 2 or 3 sequences of random elements, their token counts drawn around
 * {@link FormatSpec#MEGATRON_MEAN_DOCUMENT_TOKENS}.
 */
public final class MegatronFormat implements RecordFormat
{
    private static final String BIN = ".bin";
    private static final String IDX = ".idx";
    private static final int MAX_SEQUENCES_PER_DOCUMENT = 3;

    private final FormatSpec spec;
    private final int itemSize;
    private final IntArrayList sequenceLengths = new IntArrayList();
    private final LongArrayList documentIndices = new LongArrayList();

    /**
     * The format for a spec.
     *
     * @param spec a {@code megatron} spec; its dtype is used when writing, its mode when scanning.
     */
    public MegatronFormat(final FormatSpec spec)
    {
        this.spec = spec;
        this.itemSize = spec.megatronDtype().itemSize();
    }

    /**
     * The {@code .idx} of a {@code .bin}.
     *
     * @param binFile a {@code .bin} file.
     * @return the file of the same name ending {@code .idx} instead.
     */
    public static Path indexFile(final Path binFile)
    {
        final String name = binFile.getFileName().toString();
        final boolean bin = name.toLowerCase(Locale.ROOT).endsWith(BIN);
        return binFile.resolveSibling((bin ? name.substring(0, name.length() - BIN.length()) : name) + IDX);
    }

    @Override
    public FormatSpec scan(final ShardInput shard, final RecordSink sink)
    {
        final Path indexFile = indexFile(shard.file());
        final int sequenceLength = spec.sequenceLength();
        final MegatronDtype dtype = MegatronIndex.read(indexFile, shard.file(), shard.length(),
            (start, end, indexOffset) ->
            {
                if (sequenceLength == 0 && end > start)
                {
                    if (end - start > Integer.MAX_VALUE)
                    {
                        throw new DatasetException(indexFile, indexOffset,
                            "document of " + (end - start) + " bytes: records must be below 2 GiB");
                    }
                    sink.onRecords(start, (int)(end - start), 1);
                }
            });

        if (sequenceLength > 0)
        {
            final long sampleBytes = (sequenceLength + 1L) * dtype.itemSize();
            if (sampleBytes > Integer.MAX_VALUE)
            {
                throw new DatasetException(indexFile, MegatronIndex.DTYPE_OFFSET, "samples of " +
                    (sequenceLength + 1) + " " + dtype + " tokens are " + sampleBytes + " bytes: records must be " +
                    "below 2 GiB");
            }

            final long tokens = shard.length() / dtype.itemSize();
            if (tokens > sequenceLength)
            {
                sink.onStridedRecords(
                    0, sequenceLength * dtype.itemSize(), (int)sampleBytes, (tokens - 1) / sequenceLength);
            }
        }

        return FormatSpec.megatron(dtype, sequenceLength);
    }

    /**
     * Documents are uniform in {@code [m/2, 3*m/2]} tokens, m {@link FormatSpec#MEGATRON_MEAN_DOCUMENT_TOKENS}.
     */
    @Override
    public int drawPayloadLength(final SplitMix64 sizes)
    {
        final int mean = FormatSpec.MEGATRON_MEAN_DOCUMENT_TOKENS;
        return sizes.nextInt(mean / 2, mean / 2 + mean);
    }

    /**
     * A document's bytes: its payload is its token count.
     */
    @Override
    public long recordLength(final long index, final int payloadLength)
    {
        return (long)payloadLength * itemSize;
    }

    @Override
    public void beginShard(final ShardOutput out, final long recordCount, final LongToIntFunction payloadLengths)
    {
        sequenceLengths.clear();
        documentIndices.clear();
        documentIndices.addLong(0);
    }

    /**
     * Writes a document of {@code payloadLength} random tokens as {@code 1 + index % 3} sequences (fewer when it has
     * fewer tokens), all but the last of equal length.
     */
    @Override
    public void writeRecord(final ShardOutput out, final long index, final int payloadLength, final SplitMix64 content)
    {
        final int sequences = (int)Math.min(1 + index % MAX_SEQUENCES_PER_DOCUMENT, Math.max(1, payloadLength));
        final int length = payloadLength / sequences;
        for (int i = 0; i < sequences - 1; i++)
        {
            sequenceLengths.addInt(length);
        }
        sequenceLengths.addInt(payloadLength - length * (sequences - 1));
        documentIndices.addLong(sequenceLengths.size());
        out.putRandom((long)payloadLength * itemSize, content, null);
    }

    /**
     * Writes the {@code .idx} beside the {@code .bin}, as Megatron-LM's {@code _IndexWriter} does.
     */
    @Override
    public void endShard(final ShardOutput out)
    {
        out.open(indexFile(out.file()));
        out.putBytes(MegatronIndex.MAGIC, 0, MegatronIndex.MAGIC.length);
        out.putLong(MegatronIndex.VERSION);
        out.putByte((byte)spec.megatronDtype().code());
        out.putLong(sequenceLengths.size());
        out.putLong(documentIndices.size());
        for (int i = 0; i < sequenceLengths.size(); i++)
        {
            out.putInt(sequenceLengths.getInt(i));
        }

        long pointer = 0;
        for (int i = 0; i < sequenceLengths.size(); i++)
        {
            out.putLong(pointer);
            pointer += (long)sequenceLengths.getInt(i) * itemSize;
        }

        for (int i = 0; i < documentIndices.size(); i++)
        {
            out.putLong(documentIndices.getLong(i));
        }
    }
}
