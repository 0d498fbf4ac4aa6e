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
            "webdataset", "TAR:100KB", "megatron", "megatron:int64", "megatron:seq:2048", "megatron:uint8:seq:1",
            "megatron:float32:doc", "mds", "mds:1MiB" })
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
                assertEquals(spec.recordSize(), spec.recordStride(), "records back to back");
                break;

            case NPY:
                assertTrue(spec.recordSize() >= 1, "row bytes");
                assertEquals(NpyDtype.parse(spec.npyDtype()).itemSize() * spec.npyColumns(), spec.recordSize(),
                    "row bytes");
                break;

            case MEGATRON:
                final int itemSize = spec.megatronDtype().itemSize();
                assertTrue(spec.sequenceLength() >= 0, "sequence length");
                assertEquals(spec.sequenceLength() * itemSize, spec.recordStride(), "a sample every N tokens");
                assertEquals(spec.sequenceLength() == 0 ? 0 : (spec.sequenceLength() + 1) * itemSize,
                    spec.recordSize(), "samples of N + 1 tokens, documents of varying sizes");
                assertEquals(spec.sequenceLength() > 0, spec.fixedStride(), "samples at a stride");
                break;

            default:
                assertEquals(0, spec.recordSize(), "varying record sizes");
                break;
        }
    }
}
