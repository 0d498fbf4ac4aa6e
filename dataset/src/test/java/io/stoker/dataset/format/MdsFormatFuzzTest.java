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
 * Fuzzes {@link MdsFormat#scan}, and through it {@link MdsColumns}: any shard is either exactly the samples its
 * header's count and offsets give, after the header and config and ending at the end of the file, or a
 * {@link io.stoker.dataset.DatasetException} at an offset inside it.
 * <p>
 * Mutated offsets rarely rise to the end of the file, so every input is also scanned with its offsets sorted into
 * the file, the last at its end, which takes the fuzzer past them to the config and the samples' columns.
 */
class MdsFormatFuzzTest
{
    private static final FormatSpec SPEC = FormatSpec.mds(FormatSpec.DEFAULT_MDS_MEAN);
    private static final int MAX_SAMPLES = 1 << 16;

    private final MdsFormat format = new MdsFormat(SPEC);

    static Stream<Arguments> fixtures()
    {
        return ShardFuzzing.seeds("mds/shard.00000.mds", "mds/shard.00001.mds");
    }

    @MethodSource("fixtures")
    @DictionaryFile(resourcePath = "/fuzz/limits.dict")
    @DictionaryFile(resourcePath = "/fuzz/mds.dict")
    @FuzzTest
    void scan(final byte[] input) throws IOException
    {
        check(input);
        final byte[] ordered = withOffsetsInTheFile(input);
        if (!Arrays.equals(ordered, input))
        {
            check(ordered);
        }
    }

    private void check(final byte[] bytes) throws IOException
    {
        final ShardFuzzing.Scan scan = ShardFuzzing.scan(format, bytes);
        if (null == scan)
        {
            return;
        }

        assertEquals(SPEC, scan.spec);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int samples = buffer.getInt(0);
        assertEquals(samples, scan.records.size(), "the header's sample count");
        final long first = buffer.getInt(Integer.BYTES) & 0xFFFF_FFFFL;
        assertTrue(first >= Integer.BYTES * (samples + 2L), "samples after the header");
        long next = first;
        for (int i = 0; i < samples; i++)
        {
            final long[] record = scan.records.get(i);
            assertEquals(next, record[0], "samples back to back");
            assertEquals((buffer.getInt(Integer.BYTES * (i + 2)) & 0xFFFF_FFFFL) - next, record[1], "the offsets");
            assertTrue(record[1] >= 1 && record[2] == 1, "a sample of at least one byte");
            next += record[1];
        }
        assertEquals(bytes.length, next, "the last sample ends the file");
    }

    /**
     * The input with its offsets, where its sample count is small enough for them to fit, sorted and moved into the
     * file after the header, the last at the end of the file.
     */
    private static byte[] withOffsetsInTheFile(final byte[] input)
    {
        if (input.length < Integer.BYTES)
        {
            return input;
        }

        final byte[] bytes = input.clone();
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int samples = buffer.getInt(0);
        final long headerEnd = Integer.BYTES * (samples + 2L);
        if (samples < 0 || samples > MAX_SAMPLES || headerEnd > bytes.length)
        {
            return input;
        }

        final long[] offsets = new long[samples + 1];
        for (int i = 0; i <= samples; i++)
        {
            final long offset = buffer.getInt(Integer.BYTES * (i + 1)) & 0xFFFF_FFFFL;
            offsets[i] = headerEnd + offset % (bytes.length - headerEnd + 1);
        }
        Arrays.sort(offsets);
        offsets[samples] = bytes.length;
        for (int i = 0; i <= samples; i++)
        {
            buffer.putInt(Integer.BYTES * (i + 1), (int)offsets[i]);
        }

        return bytes;
    }
}
