package io.stoker.dataset.format;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.stoker.dataset.format.Fixtures.copyWith;
import static io.stoker.dataset.format.Fixtures.describe;
import static io.stoker.dataset.format.Fixtures.fixture;
import static io.stoker.dataset.format.Fixtures.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebDatasetFormatTest
{
    private static final FormatSpec TAR = FormatSpec.parse("tar");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { "gnu.tar", "pax.tar", "ustar.tar" })
    void findsTheSamplesOfTarsPythonWrote(final String name) throws Exception
    {
        final List<long[]> expected = new ArrayList<>();
        for (final String line : Fixtures.lines("tar/" + name + ".expected"))
        {
            final String[] fields = line.split(" ");
            expected.add(new long[]{ Long.parseLong(fields[0]), Long.parseLong(fields[1]), 1 });
        }

        assertEquals(describe(expected), describe(scan(TAR, fixture("tar/" + name))));
    }

    @Test
    void stopsAtTheEndOfArchiveAndAcceptsAMissingOne() throws Exception
    {
        final Path source = fixture("tar/gnu.tar");
        final List<long[]> samples = scan(TAR, source);
        final long[] last = samples.get(samples.size() - 1);
        final int end = (int)(last[0] + last[1]);

        final Path garbageAfterEnd = copyWith(source, dir, bytes -> fill(bytes, end + 1024, bytes.length, 'g'));
        assertEquals(describe(samples), describe(scan(TAR, garbageAfterEnd)));

        final Path noEnd = copyWith(source, dir, bytes -> Arrays.copyOf(bytes, end));
        assertEquals(describe(samples), describe(scan(TAR, noEnd)));
    }

    @Test
    void namesTheHeaderWithABadChecksum() throws Exception
    {
        final Path file = copyWith(fixture("tar/gnu.tar"), dir, bytes -> fill(bytes, 4608 + 3, 4608 + 4, 'Z'));
        final DatasetException ex = assertThrows(DatasetException.class, () -> scan(TAR, file));
        assertEquals(4608, ex.offset());
        assertTrue(ex.getMessage().startsWith(file + ": offset 4608: bad tar header checksum"), ex.getMessage());
    }

    @Test
    void namesTheMemberWhoseDataIsTruncated() throws Exception
    {
        final Path data = copyWith(fixture("tar/gnu.tar"), dir, bytes -> Arrays.copyOf(bytes, 4608 + 512 + 5));
        final DatasetException ex = assertThrows(DatasetException.class, () -> scan(TAR, data));
        assertEquals(4608, ex.offset());
        assertTrue(ex.getMessage().contains("truncated tar member"), ex.getMessage());

        final Path header = copyWith(fixture("tar/gnu.tar"), dir, bytes -> Arrays.copyOf(bytes, 4608 + 100));
        final DatasetException headerError = assertThrows(DatasetException.class, () -> scan(TAR, header));
        assertEquals(4608, headerError.offset());
        assertTrue(headerError.getMessage().contains("truncated tar header"), headerError.getMessage());
    }

    private static byte[] fill(final byte[] bytes, final int from, final int to, final int value)
    {
        Arrays.fill(bytes, from, to, (byte)value);
        return bytes;
    }
}
