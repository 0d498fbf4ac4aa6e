package io.stoker.dataset.format;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.stoker.dataset.format.Fixtures.copyWith;
import static io.stoker.dataset.format.Fixtures.fixture;
import static io.stoker.dataset.format.Fixtures.scan;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyFormatTest
{
    private static final FormatSpec NPY = FormatSpec.parse("npy");

    @TempDir
    Path dir;

    @Test
    void findsTheRowsOfFilesNumpyWrote() throws Exception
    {
        for (final String line : Fixtures.lines("npy/expected.txt"))
        {
            final String[] fields = line.split(" ", 6);
            final Path file = fixture("npy/" + fields[0]);
            final long dataOffset = Long.parseLong(fields[1]);
            final int rowBytes = Integer.parseInt(fields[2]);
            final long rows = Long.parseLong(fields[3]);
            final int columns = Integer.parseInt(fields[4]);
            final String descr = fields[5];

            final List<long[]> records = scan(NPY, file);
            if (rows == 0)
            {
                assertTrue(records.isEmpty(), fields[0]);
            }
            else
            {
                assertEquals(1, records.size(), fields[0]);
                assertArrayEquals(new long[]{ dataOffset, rowBytes, rows }, records.get(0), fields[0]);
            }

            try (ShardInput shard = new ShardInput(file))
            {
                final FormatSpec found = RecordFormat.of(NPY).scan(shard, (offset, length, count) -> {});
                assertEquals(descr, found.npyDtype(), fields[0]);
                assertEquals(columns, found.npyColumns(), fields[0]);
                assertEquals(rowBytes, found.recordSize(), fields[0]);
                assertEquals(found, FormatSpec.parse(found.toString()), fields[0]);
            }
        }
    }

    @Test
    void refusesFortranOrderAndZeroDimensionalArraysAtTheOffendingHeaderByte() throws Exception
    {
        for (final String line : Fixtures.lines("npy/bad_expected.txt"))
        {
            final String[] fields = line.split(" ");
            final Path file = fixture("npy/" + fields[0]);
            final DatasetException ex = assertThrows(DatasetException.class, () -> scan(NPY, file));
            assertEquals(file, ex.file());
            assertEquals(Long.parseLong(fields[1]), ex.offset(), ex.getMessage());
        }
    }

    @Test
    void writesHeadersNumpyCanRead() throws Exception
    {
        final FormatSpec spec = FormatSpec.parse("npy:[('x', '<f4'), ('y', '<i2', (3,))]:7");
        DatasetGenerator.generate(dir, spec, 10_000, 3, 1 << 20);
        final Path file = dir.resolve("shard-00000.npy");
        final byte[] bytes = Files.readAllBytes(file);
        final int headerLength = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
        final String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);

        assertEquals(1, bytes[6], "version 1.0");
        assertEquals(0, (10 + headerLength) % 64, "data aligned to 64 bytes");
        assertTrue(header.endsWith(" \n"), header);
        assertEquals("{'descr': [('x', '<f4'), ('y', '<i2', (3,))], 'fortran_order': False, 'shape': (142, 7), }",
            header.trim());
        assertEquals(10 + headerLength + 142 * 70, bytes.length);
    }

    @Test
    void namesTheByteOfBadMagic() throws Exception
    {
        final Path file = copyWith(fixture("npy/v1_f4_2d.npy"), dir, bytes -> set(bytes, 3, 'X'));
        final DatasetException ex = assertThrows(DatasetException.class, () -> scan(NPY, file));
        assertEquals(3, ex.offset());
        assertTrue(ex.getMessage().startsWith(file + ": offset 3: not a .npy file"), ex.getMessage());
    }

    @Test
    void namesTheByteOfAnUnsupportedVersion() throws Exception
    {
        final Path file = copyWith(fixture("npy/v1_f4_2d.npy"), dir, bytes -> set(bytes, 6, 4));
        assertEquals(6, assertThrows(DatasetException.class, () -> scan(NPY, file)).offset());
    }

    @Test
    void namesTheByteOfABadHeaderDict() throws Exception
    {
        final Path unknownKey =
            copyWith(fixture("npy/v1_f4_2d.npy"), dir, bytes -> replace(bytes, "'shape'", "'shope'"));
        final DatasetException ex = assertThrows(DatasetException.class, () -> scan(NPY, unknownKey));
        assertEquals(indexOf(unknownKey, "'shope'"), ex.offset(), ex.getMessage());
        assertTrue(ex.getMessage().contains("unexpected key 'shope'"), ex.getMessage());

        final Path badValue = copyWith(fixture("npy/v1_f4_2d.npy"), dir, bytes -> replace(bytes, "(3, 4)", "(3, x)"));
        assertEquals(indexOf(badValue, "x)"), assertThrows(DatasetException.class, () -> scan(NPY, badValue)).offset());

        final Path objects = copyWith(fixture("npy/v1_f4_2d.npy"), dir, bytes -> replace(bytes, "'<f4'", "'|O8'"));
        final DatasetException objectError = assertThrows(DatasetException.class, () -> scan(NPY, objects));
        assertTrue(objectError.getMessage().contains("object dtype"), objectError.getMessage());
    }

    @Test
    void namesTheOffsetWhereDataIsShortOrLong() throws Exception
    {
        final Path shorter =
            copyWith(fixture("npy/v1_f4_2d.npy"), dir, bytes -> Arrays.copyOf(bytes, bytes.length - 5));
        final DatasetException shortError = assertThrows(DatasetException.class, () -> scan(NPY, shorter));
        assertEquals(128 + 2 * 16, shortError.offset(), "start of the incomplete third row");
        assertTrue(shortError.getMessage().contains("5 bytes short"), shortError.getMessage());

        final Path longer =
            copyWith(fixture("npy/v1_f4_2d.npy"), dir, bytes -> Arrays.copyOf(bytes, bytes.length + 3));
        assertEquals(128 + 3 * 16, assertThrows(DatasetException.class, () -> scan(NPY, longer)).offset());

        final Path noHeader = copyWith(fixture("npy/v1_f4_2d.npy"), dir, bytes -> Arrays.copyOf(bytes, 40));
        final DatasetException headerError = assertThrows(DatasetException.class, () -> scan(NPY, noHeader));
        assertEquals(10, headerError.offset());
        assertTrue(headerError.getMessage().contains("truncated .npy header"), headerError.getMessage());
    }

    @Test
    void countsHeaderOffsetsInBytesForUtf8Headers() throws Exception
    {
        final Path file = copyWith(fixture("npy/v3_utf8.npy"), dir, bytes -> replace(bytes, "'<i4'", "'<q4'"));
        assertEquals(indexOf(file, "'<q4'") + 1, assertThrows(DatasetException.class, () -> scan(NPY, file)).offset());
    }

    private static byte[] set(final byte[] bytes, final int index, final int value)
    {
        bytes[index] = (byte)value;
        return bytes;
    }

    private static byte[] replace(final byte[] bytes, final String from, final String to)
    {
        final String text = new String(bytes, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains(from), from);
        return text.replace(from, to).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static long indexOf(final Path file, final String text) throws Exception
    {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).indexOf(text);
    }
}
