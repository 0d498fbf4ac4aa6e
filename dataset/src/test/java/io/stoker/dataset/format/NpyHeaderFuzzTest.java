package io.stoker.dataset.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the text parsers behind {@code .npy} headers directly, faster than through files: {@link NpyHeader#parse}
 * and {@link NpyDtype#parse(String)}, both built on {@link PyLiteral}. Either parses text into values consistent with
 * it, or refuses it with an error whose position lies inside the text.
 */
class NpyHeaderFuzzTest
{
    static Stream<String> fixtures() throws Exception
    {
        final Stream.Builder<String> seeds = Stream.builder();
        for (final String line : Fixtures.lines("npy/expected.txt"))
        {
            final String[] fields = line.split(" ", 6);
            seeds.add(fields[5]);
            seeds.add(headerText(fields[0]));
        }

        for (final String line : Fixtures.lines("npy/bad_expected.txt"))
        {
            seeds.add(headerText(line.split(" ")[0]));
        }

        return seeds.build();
    }

    @MethodSource("fixtures")
    @FuzzTest
    void parse(final @NotNull String text)
    {
        try
        {
            final NpyHeader header = NpyHeader.parse(text);
            assertInside(text, header.fortranOrderPosition);
            assertInside(text, header.shapePosition);
            for (final long dim : header.shape)
            {
                assertTrue(dim >= 0, "dimension");
            }
            assertEquals(header.dtype, NpyDtype.parse(new PyLiteral(header.dtype.headerLiteral())), "descr");
        }
        catch (final PyLiteral.SyntaxError ex)
        {
            assertInside(text, ex.position());
        }

        try
        {
            final NpyDtype dtype = NpyDtype.parse(text);
            assertTrue(dtype.itemSize() >= 0 && dtype.itemSize() <= Integer.MAX_VALUE, "item size");
            final NpyDtype again = NpyDtype.parse(dtype.descr());
            assertEquals(dtype, again, "canonical descr parses to the same dtype");
            assertEquals(dtype.itemSize(), again.itemSize(), "item size");
        }
        catch (final IllegalArgumentException ex)
        {
            assertTrue(ex.getMessage().startsWith("bad dtype '"), ex.getMessage());
        }
    }

    private static void assertInside(final String text, final int position)
    {
        assertTrue(position >= 0 && position <= text.length(), () -> "position " + position + " of " + text.length());
    }

    private static String headerText(final String name) throws Exception
    {
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(Fixtures.fixture("npy/" + name)))
            .order(ByteOrder.LITTLE_ENDIAN);
        final int major = bytes.get(6);
        final int start = major == 1 ? 10 : 12;
        final int length = major == 1 ? bytes.getShort(8) & 0xFFFF : bytes.getInt(8);
        return new String(bytes.array(), start, length,
            major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    }
}
