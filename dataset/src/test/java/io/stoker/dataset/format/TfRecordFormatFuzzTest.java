package io.stoker.dataset.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.stoker.dataset.Crc32c;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzes {@link TfRecordFormat#scan}: any file is either framed records that tile it exactly, each as long as its
 * length field says, or a {@link io.stoker.dataset.DatasetException}.
 * <p>
 * Random bytes rarely carry a correct masked CRC32C, so every input is also scanned with its CRCs made right, which
 * takes the fuzzer past the checksums to the length and truncation checks.
 */
class TfRecordFormatFuzzTest
{
    private static final int HEADER_BYTES = Long.BYTES + Integer.BYTES;

    private final TfRecordFormat format = new TfRecordFormat(FormatSpec.tfrecord(FormatSpec.DEFAULT_TFRECORD_MEAN));
    private final Crc32c crc = new Crc32c();

    static Stream<Arguments> fixtures()
    {
        return ShardFuzzing.seeds("tfrecord/three.tfrecord");
    }

    @MethodSource("fixtures")
    @DictionaryFile(resourcePath = "/fuzz/limits.dict")
    @FuzzTest
    void scan(final byte[] input) throws IOException
    {
        check(input);
        final byte[] framed = withValidCrcs(input);
        if (!Arrays.equals(framed, input))
        {
            check(framed);
        }
    }

    private void check(final byte[] bytes) throws IOException
    {
        final ShardFuzzing.Scan scan = ShardFuzzing.scan(format, bytes);
        if (null == scan)
        {
            return;
        }

        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long next = 0;
        for (final long[] record : scan.records)
        {
            assertEquals(next, record[0], "records tile the file");
            assertEquals(buffer.getLong((int)record[0]) + TfRecordFormat.FRAMING_BYTES, record[1], "record length");
            assertEquals(1, record[2]);
            next += record[1];
        }
        assertEquals(bytes.length, next, "records tile the file");
    }

    /**
     * The input with the length and data CRCs of each frame it holds set right, as far as its length fields chain.
     */
    private byte[] withValidCrcs(final byte[] input)
    {
        final byte[] bytes = input.clone();
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int position = 0;
        while (bytes.length - position >= HEADER_BYTES)
        {
            buffer.putInt(position + Long.BYTES, TfRecordFormat.mask(crc.compute(buffer, position, Long.BYTES)));
            final long dataLength = buffer.getLong(position);
            if (dataLength < 0 || dataLength > bytes.length - position - TfRecordFormat.FRAMING_BYTES)
            {
                break;
            }

            final int data = position + HEADER_BYTES;
            buffer.putInt(data + (int)dataLength, TfRecordFormat.mask(crc.compute(buffer, data, (int)dataLength)));
            position = data + (int)dataLength + Integer.BYTES;
        }

        return bytes;
    }
}
