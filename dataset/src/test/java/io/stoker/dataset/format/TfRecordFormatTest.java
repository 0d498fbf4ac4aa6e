package io.stoker.dataset.format;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.stoker.dataset.format.Fixtures.copyWith;
import static io.stoker.dataset.format.Fixtures.describe;
import static io.stoker.dataset.format.Fixtures.fixture;
import static io.stoker.dataset.format.Fixtures.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TfRecordFormatTest
{
    private static final FormatSpec TFRECORD = FormatSpec.parse("tfrecord");

    @TempDir
    Path dir;

    @Test
    void findsTheRecordsOfAFileFramedAsTensorFlowFramesThem() throws Exception
    {
        final List<long[]> expected = new ArrayList<>();
        for (final String line : Fixtures.lines("tfrecord/three.tfrecord.expected"))
        {
            final String[] fields = line.split(" ");
            expected.add(new long[]{ Long.parseLong(fields[0]), Long.parseLong(fields[1]), 1 });
        }

        assertEquals(describe(expected), describe(scan(TFRECORD, fixture("tfrecord/three.tfrecord"))));
    }

    @Test
    void masksAsTensorFlowDoes()
    {
        assertEquals(0xA282EAD8, TfRecordFormat.mask(0));
        assertEquals(((0xE3069283 >>> 15) | (0xE3069283 << 17)) + 0xA282EAD8, TfRecordFormat.mask(0xE3069283));
    }

    @Test
    void namesTheRecordAndTheCrcThatDoesNotMatch() throws Exception
    {
        final Path lengthCrc = copyWith(fixture("tfrecord/three.tfrecord"), dir, bytes -> flip(bytes, 16 + 9));
        final DatasetException lengthError = assertThrows(DatasetException.class, () -> scan(TFRECORD, lengthCrc));
        assertEquals(16, lengthError.offset());
        assertTrue(lengthError.getMessage().startsWith(lengthCrc + ": offset 16: TFRecord length CRC mismatch"),
            lengthError.getMessage());

        final Path dataCrc = copyWith(fixture("tfrecord/three.tfrecord"), dir, bytes -> flip(bytes, 37 + 12 + 500));
        final DatasetException dataError = assertThrows(DatasetException.class, () -> scan(TFRECORD, dataCrc));
        assertEquals(37, dataError.offset());
        assertTrue(dataError.getMessage().contains("TFRecord data CRC mismatch"), dataError.getMessage());
    }

    @Test
    void namesTheRecordThatIsTruncated() throws Exception
    {
        for (final int length : new int[]{ 37 + 5, 37 + 12 + 1000, 37 + 1040 - 1 })
        {
            final Path file = copyWith(fixture("tfrecord/three.tfrecord"), dir, bytes -> Arrays.copyOf(bytes, length));
            final DatasetException ex = assertThrows(DatasetException.class, () -> scan(TFRECORD, file));
            assertEquals(37, ex.offset(), ex.getMessage());
            assertTrue(ex.getMessage().contains("truncated TFRecord"), ex.getMessage());
        }
    }

    private static byte[] flip(final byte[] bytes, final int index)
    {
        bytes[index] ^= 0x10;
        return bytes;
    }
}
