package io.stoker.dataset.format;

import java.io.IOException;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link NpyFormat#scan}, and through it {@link NpyHeader}, {@link PyLiteral} and {@link NpyDtype}: any file
 * is either rows of whole records that run from the end of the header to the end of the file, or a
 * {@link io.stoker.dataset.DatasetException}.
 */
class NpyFormatFuzzTest
{
    private static final int MIN_PREAMBLE = 10;

    private final NpyFormat format = new NpyFormat(FormatSpec.parse("npy"));

    static Stream<Arguments> fixtures()
    {
        return ShardFuzzing.seeds(
            "npy/v1_f4_2d.npy",
            "npy/v1_b1_1d.npy",
            "npy/v1_c16_3d.npy",
            "npy/v1_S10.npy",
            "npy/v1_U5.npy",
            "npy/v1_V16.npy",
            "npy/v1_i8_big_endian.npy",
            "npy/v1_datetime.npy",
            "npy/v1_empty.npy",
            "npy/v2_structured.npy",
            "npy/v3_utf8.npy",
            "npy/bad_fortran.npy",
            "npy/bad_0d.npy");
    }

    @MethodSource("fixtures")
    @DictionaryFile(resourcePath = "/fuzz/limits.dict")
    @FuzzTest
    void scan(final byte[] input) throws IOException
    {
        final ShardFuzzing.Scan scan = ShardFuzzing.scan(format, input);
        if (null == scan)
        {
            return;
        }

        assertEquals(FormatSpec.Kind.NPY, scan.spec.kind());
        assertTrue(scan.spec.recordSize() >= 1, "row bytes");
        assertTrue(scan.records.size() <= 1, "one call for all rows");
        for (final long[] rows : scan.records)
        {
            assertTrue(rows[0] >= MIN_PREAMBLE, "rows start after the header");
            assertEquals(scan.spec.recordSize(), rows[1], "row bytes");
            assertTrue(rows[2] >= 1, "row count");
            assertEquals(input.length, rows[0] + rows[1] * rows[2], "rows run to the end of the file");
        }
    }
}
