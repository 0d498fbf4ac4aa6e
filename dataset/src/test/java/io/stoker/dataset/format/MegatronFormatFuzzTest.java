package io.stoker.dataset.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link MegatronFormat#scan}, and through it {@link MegatronIndex}: any {@code .idx} is either documents
 * that tile the {@code .bin} in order, each whole tokens of the dtype its header gives, no more than it counts, and
 * GPT samples of {@code seq:3} that are exactly those the stream's length makes, or a
 * {@link io.stoker.dataset.DatasetException} naming the {@code .idx} or the {@code .bin} at an offset inside it.
 * <p>
 * The {@code .bin} is as long as the index's sequence lengths say where they say a length up to 1 MiB, else as the
 * input, and a token longer every seventh input. Mutated pointers and document indices rarely follow each other, so
 * every input is also scanned with its header's constants, its pointers and its document indices made right, which
 * takes the fuzzer past them.
 */
class MegatronFormatFuzzTest
{
    private static final int SEQ = 3;
    private static final int MAX_BIN = 1 << 20;
    private static final int HEADER = MegatronIndex.HEADER_BYTES;

    private final MegatronFormat documents = new MegatronFormat(FormatSpec.parse("megatron"));
    private final MegatronFormat samples = new MegatronFormat(FormatSpec.parse("megatron:seq:" + SEQ));

    static Stream<Arguments> fixtures()
    {
        return ShardFuzzing.seeds("megatron/docs.idx", "megatron/multimodal.idx");
    }

    @MethodSource("fixtures")
    @DictionaryFile(resourcePath = "/fuzz/limits.dict")
    @DictionaryFile(resourcePath = "/fuzz/megatron.dict")
    @FuzzTest
    void scan(final byte[] input) throws IOException
    {
        check(input);
        final byte[] consistent = withConsistentIndex(input);
        if (!Arrays.equals(consistent, input))
        {
            check(consistent);
        }
    }

    private void check(final byte[] index) throws IOException
    {
        final int binLength = binLength(index);
        final ShardFuzzing.Scan scan = ShardFuzzing.scanMegatron(documents, binLength, index);
        if (null != scan)
        {
            final ByteBuffer header = ByteBuffer.wrap(index).order(ByteOrder.LITTLE_ENDIAN);
            final MegatronDtype dtype = MegatronDtype.ofCode(index[MegatronIndex.DTYPE_OFFSET]);
            assertEquals(FormatSpec.megatron(dtype, 0), scan.spec, "the dtype of the header");
            assertTrue(scan.records.size() < header.getLong(MegatronIndex.DOCUMENT_COUNT_OFFSET), "documents");
            long next = 0;
            for (final long[] record : scan.records)
            {
                assertEquals(next, record[0], "documents tile the .bin");
                assertTrue(record[1] >= 1 && record[1] % dtype.itemSize() == 0 && record[2] == 1, "whole tokens");
                next += record[1];
            }
            assertEquals(binLength, next, "documents tile the .bin");
        }

        final ShardFuzzing.Scan sampled = ShardFuzzing.scanMegatron(samples, binLength, index);
        assertEquals(null == scan, null == sampled, "both modes check the same index");
        if (null != sampled)
        {
            final int itemSize = sampled.spec.megatronDtype().itemSize();
            final long tokens = binLength / itemSize;
            assertEquals(tokens > SEQ ? (tokens - 1) / SEQ : 0, sampled.records.size(), "samples");
            for (int i = 0; i < sampled.records.size(); i++)
            {
                final long[] record = sampled.records.get(i);
                assertEquals((long)i * SEQ * itemSize, record[0], "a sample every " + SEQ + " tokens");
                assertEquals((SEQ + 1L) * itemSize, record[1], "samples of " + (SEQ + 1) + " tokens");
                assertTrue(record[0] + record[1] <= binLength, "samples inside the .bin");
            }
        }
    }

    /**
     * The sum of the sequence lengths in bytes where the header's counts and dtype make sense and it is at most
     * 1 MiB, plus a token every seventh input; else the input's length.
     */
    private static int binLength(final byte[] index)
    {
        final long sequences = sequenceCount(index);
        final MegatronDtype dtype = index.length > HEADER ? MegatronDtype.ofCode(index[MegatronIndex.DTYPE_OFFSET]) :
            null;
        if (sequences < 0 || null == dtype)
        {
            return index.length;
        }

        final ByteBuffer buffer = ByteBuffer.wrap(index).order(ByteOrder.LITTLE_ENDIAN);
        long bytes = 0;
        for (int i = 0; i < sequences && bytes <= MAX_BIN; i++)
        {
            bytes += Math.max(0, buffer.getInt(HEADER + Integer.BYTES * i)) * (long)dtype.itemSize();
        }

        return bytes > MAX_BIN ? index.length : (int)bytes + (index.length % 7 == 0 ? dtype.itemSize() : 0);
    }

    /**
     * The input with the magic, version and a known dtype in its header, its pointers following its lengths and its
     * document indices rising from 0 to the sequence count, where its counts fit it.
     */
    private static byte[] withConsistentIndex(final byte[] input)
    {
        final long sequences = sequenceCount(input);
        if (sequences < 0)
        {
            return input;
        }

        final byte[] bytes = input.clone();
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(0, MegatronIndex.MAGIC).putLong(MegatronIndex.VERSION_OFFSET, MegatronIndex.VERSION);
        final int code = 1 + Math.floorMod(bytes[MegatronIndex.DTYPE_OFFSET], 8);
        bytes[MegatronIndex.DTYPE_OFFSET] = (byte)code;
        final int itemSize = MegatronDtype.ofCode(code).itemSize();

        final int pointers = HEADER + Integer.BYTES * (int)sequences;
        long pointer = 0;
        for (int i = 0; i < sequences; i++)
        {
            buffer.putLong(pointers + Long.BYTES * i, pointer);
            pointer += Math.max(0, buffer.getInt(HEADER + Integer.BYTES * i)) * (long)itemSize;
        }

        final int indices = pointers + Long.BYTES * (int)sequences;
        final long documents = (bytes.length - indices) / Long.BYTES;
        buffer.putLong(MegatronIndex.DOCUMENT_COUNT_OFFSET, Math.max(1, documents));
        long previous = 0;
        for (int k = 0; k < documents; k++)
        {
            final long value = k == 0 ? 0 : k == documents - 1 ? sequences :
                Math.min(sequences, Math.max(previous, Math.floorMod(buffer.getLong(indices + Long.BYTES * k),
                    sequences + 1)));
            buffer.putLong(indices + Long.BYTES * k, value);
            previous = value;
        }

        return Arrays.copyOf(bytes, indices + Long.BYTES * (int)Math.max(1, documents));
    }

    /**
     * The sequence count where the input holds a header and the count's lengths and pointers; else -1.
     */
    private static long sequenceCount(final byte[] index)
    {
        if (index.length < HEADER)
        {
            return -1;
        }

        final long sequences = ByteBuffer.wrap(index).order(ByteOrder.LITTLE_ENDIAN)
            .getLong(MegatronIndex.SEQUENCE_COUNT_OFFSET);
        return sequences >= 0 && sequences <= (index.length - HEADER - Long.BYTES) / (Integer.BYTES + Long.BYTES) ?
            sequences : -1;
    }
}
