package io.stoker.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.stoker.dataset.format.NpyDtype;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link FormatSpec#parse}, which reads the format a user gives and the format stored in a manifest: any
 * text is either a spec whose canonical text parses back to it and whose sizes are in range, or an
 * {@link IllegalArgumentException} naming the text, as documented.
 */
class FormatSpecFuzzTest
{
    /**
     * Every form, and an {@code npy} spec for each dtype of the {@code .npy} fixtures.
     */
    static Stream<String> fixtures() throws Exception
    {
        final Stream.Builder<String> seeds = Stream.builder();
        for (final String spec : new String[]{ "fixed:4KiB", "fixed:1.5k", "npy", "tfrecord", "tfrecord:64KiB",
            "webdataset", "TAR:100KB" })
        {
            seeds.add(spec);
        }

        final Path expected = Path.of(FormatSpecFuzzTest.class.getResource("/fixtures/npy/expected.txt").toURI());
        for (final String line : Files.readAllLines(expected))
        {
            if (!line.startsWith("#"))
            {
                final String[] fields = line.split(" ", 6);
                seeds.add("npy:" + fields[5] + ":" + fields[4]);
            }
        }

        return seeds.build();
    }

    @MethodSource("fixtures")
    @FuzzTest
    void parse(final String text)
    {
        final FormatSpec spec;
        try
        {
            spec = FormatSpec.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            assertTrue(ex.getMessage().startsWith("bad format '") || null == text, ex.getMessage());
            return;
        }

        assertEquals(spec, FormatSpec.parse(spec.toString()), "canonical text parses back");
        assertTrue(spec.meanRecordSize() >= 1, "mean record size");
        switch (spec.kind())
        {
            case FIXED:
                assertTrue(spec.recordSize() >= 1, "record size");
                break;

            case NPY:
                assertTrue(spec.recordSize() >= 1, "row bytes");
                assertEquals(NpyDtype.parse(spec.npyDtype()).itemSize() * spec.npyColumns(), spec.recordSize(),
                    "row bytes");
                break;

            default:
                assertEquals(0, spec.recordSize(), "varying record sizes");
                break;
        }
    }
}
