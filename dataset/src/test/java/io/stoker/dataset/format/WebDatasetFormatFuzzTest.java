package io.stoker.dataset.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static io.stoker.dataset.format.TarHeader.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link WebDatasetFormat#scan}, and through it {@link TarHeader}: any file is either samples of whole
 * 512-byte blocks, in file order, apart and inside it, or a {@link io.stoker.dataset.DatasetException}.
 * <p>
 * Random bytes rarely carry a correct header checksum, so every input is also scanned with the checksums of its
 * headers made right, which takes the fuzzer past them to the sizes, names and extensions.
 */
class WebDatasetFormatFuzzTest
{
    private static final FormatSpec SPEC = FormatSpec.webdataset(FormatSpec.DEFAULT_WEBDATASET_MEAN);

    private final WebDatasetFormat format = new WebDatasetFormat(SPEC);

    static Stream<Arguments> fixtures()
    {
        return ShardFuzzing.seeds("tar/gnu.tar", "tar/pax.tar", "tar/ustar.tar");
    }

    @MethodSource("fixtures")
    @DictionaryFile(resourcePath = "/fuzz/tar.dict")
    @FuzzTest
    void scan(final byte[] input) throws IOException
    {
        check(input);
        final byte[] summed = withValidChecksums(input);
        if (!Arrays.equals(summed, input))
        {
            check(summed);
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
        long end = 0;
        for (final long[] sample : scan.records)
        {
            assertTrue(sample[0] >= end, "samples in file order, apart");
            assertEquals(0, sample[0] % BLOCK, "sample starts at a block");
            assertEquals(0, sample[1] % BLOCK, "sample of whole blocks");
            assertTrue(sample[1] >= BLOCK, "sample holds a header");
            assertEquals(1, sample[2]);
            end = sample[0] + sample[1];
        }
        assertTrue(end <= bytes.length, "samples inside the file");
    }

    /**
     * The input with the checksum of each header it holds set right, as far as the headers' size fields chain.
     */
    private static byte[] withValidChecksums(final byte[] input)
    {
        final byte[] bytes = input.clone();
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        int position = 0;
        while (bytes.length - position >= BLOCK && !TarHeader.isZeroBlock(buffer, position))
        {
            TarHeader.putChecksum(buffer, position);
            final long size = TarHeader.parseNumber(buffer, position + TarHeader.SIZE_OFFSET, TarHeader.SIZE_LENGTH);
            if (size < 0 || size > bytes.length)
            {
                break;
            }

            position += BLOCK + (int)TarHeader.paddedSize(size);
        }

        return bytes;
    }
}
