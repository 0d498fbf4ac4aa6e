package io.stoker.dataset.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.stoker.dataset.format.Fixtures.describe;
import static io.stoker.dataset.format.Fixtures.fixture;
import static io.stoker.dataset.format.Fixtures.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MDS shards and index written as mosaicml/streaming's {@code MDSWriter} writes them (fixtures from
 * {@code make_fixtures.py}): columns {@code id} (int64), {@code text} (str) and {@code tokens} (bytes), three samples
 * in {@code shard.00000.mds}, whose offsets are at 4, 8, 12 and 16 and whose config ends at 232.
 */
class MdsFormatTest
{
    private static final FormatSpec MDS = FormatSpec.parse("mds");
    private static final String SHARD = "shard.00000.mds";

    @TempDir
    Path dir;

    @Test
    void findsTheSamplesOfShardsWrittenAsMosaicWritesThem() throws Exception
    {
        for (final String name : new String[]{ SHARD, "shard.00001.mds" })
        {
            final List<long[]> expected = new ArrayList<>();
            for (final String line : Fixtures.lines("mds/" + name + ".expected"))
            {
                final String[] fields = line.split(" ");
                expected.add(new long[]{ Long.parseLong(fields[0]), Long.parseLong(fields[1]), 1 });
            }

            assertEquals(describe(expected), describe(scan(MDS, fixture("mds/" + name))), name);
        }
    }

    @Test
    void readsTheIndexMosaicWrites() throws Exception
    {
        final Path file = fixture("mds/index.json");
        final String text = Files.readString(file);
        final MdsIndex index = MdsIndex.read(file);
        assertEquals(2, index.shards().size());
        final MdsIndex.Shard second = index.shards().get(1);
        assertEquals("shard.00001.mds", second.basename());
        assertEquals(Files.size(fixture("mds/shard.00001.mds")), second.bytes());
        assertEquals(2, second.samples());
        assertEquals(text.indexOf("\"shard.00001.mds\""), second.basenameOffset());
        assertEquals(text.indexOf("341"), second.bytesOffset());
    }

    @Test
    void refusesACompressedShardAtItsZipData() throws Exception
    {
        final Path file = fixture("mds/compressed-index.json");
        final long zipData = Long.parseLong(Fixtures.lines("mds/compressed-index.json.expected").get(0));
        final DatasetException ex = assertThrows(DatasetException.class, () -> MdsIndex.read(file));
        assertEquals(zipData, ex.offset(), ex.getMessage());
        assertTrue(ex.getMessage().startsWith(file + ": offset " + zipData + ": MDS index: shard 1 (shard.00001.mds) " +
            "is compressed (zip_data is not null): Stoker serves raw MDS shards, decompress them first"),
            ex.getMessage());
    }

    @Test
    void refusesIndexesThatSayWhatItCannotUse() throws Exception
    {
        final String good = Files.readString(fixture("mds/index.json"));
        assertEquals(2, MdsIndex.parse(dir.resolve("index.json"), bytes(good)).shards().size(), "positive control");

        indexRefused(good.replace("\"version\": 2}", "\"version\": 3}"), "3}", "version 3, expected 2", -1);
        indexRefused(good.replaceFirst("\"format\": \"mds\"", "\"format\": \"json\""), "\"json\"",
            "shard 0 is of format 'json': only MDS shards (mds) are read", 0);
        indexRefused(good.replace("shard.00001.mds", "shard.00000.mds"), "\"shard.00000.mds\"",
            "shard 1 is shard.00000.mds again", 1);
        indexRefused(good.replace("shard.00001.mds", "../shard.00001.mds"), "\"../shard.00001.mds\"",
            "shard 1 basename '../shard.00001.mds' is not a file name in the directory", 0);
        indexRefused(good.replaceFirst("\"samples\": 3", "\"samples\": -3"), "-3", "shard 0 samples -3 is not 0 to", 0);
        indexRefused(good.replaceFirst("\"samples\": 3", "\"samples\": 3, \"samples\": 3"), null,
            "bad JSON: Duplicate field 'samples'", 0);
        indexRefused(good + " []", "[]", "an array after the end of the MDS index", -1);
        indexRefused(good.replace("\"shards\"", "\"shard\""), "{", "no shards", 0);
        indexRefused(good.substring(0, 100), null, "bad JSON: Unexpected end-of-input", 0);
    }

    @Test
    void refusesOffsetsThatAreNotTheFile() throws Exception
    {
        final long length = Files.size(fixture("mds/" + SHARD));
        refused(shard -> shard.putInt(4, 8), 4, "first MDS sample offset 8 is inside the header of 3 offsets, which " +
            "ends at 20");
        refused(shard -> shard.putInt(4, (int)length + 1), 4, "first MDS sample offset 350 is past the end");
        refused(shard -> shard.putInt(12, shard.getInt(8)), 12, "MDS sample 1 ends at byte 264, not after its " +
            "start 264: offsets must rise");
        refused(shard -> shard.putInt(16, (int)length + 10), 16, "MDS sample 2 ends at byte 359, past the end of the " +
            "file (349 bytes)");
        refused(shard -> shard.putInt(0, 1 << 20), 4, "truncated MDS sample offsets");
        refused(shard -> shard.putInt(16, (int)length - 1), 303, "MDS sample 2 is 45 bytes but its columns take 46");
        refused(shard -> shard.putInt(232, 100), 232, "MDS sample 0 is 32 bytes but its columns take 116");
        refused(shard -> shard.put(21, (byte)'x'), 21, "MDS shard config: bad JSON: Unexpected character ('x'");
        final int sizes = new String(Files.readAllBytes(fixture("mds/" + SHARD)), StandardCharsets.ISO_8859_1)
            .indexOf("column_sizes");
        refused(shard -> shard.put(sizes, (byte)'x'), 20, "MDS shard config: no column_sizes");
    }

    @Test
    void refusesATruncatedShardOrOneWithBytesAfterItsLastSample() throws Exception
    {
        final Path shard = Files.copy(fixture("mds/" + SHARD), dir.resolve(SHARD));
        final byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, Arrays.copyOf(bytes, 2));
        assertRefused(shard, 0, "truncated MDS sample count");

        Files.write(shard, Arrays.copyOf(bytes, bytes.length - 5));
        assertRefused(shard, 16, "MDS sample 2 ends at byte 349, past the end of the file (344 bytes)");

        Files.write(shard, Arrays.copyOf(bytes, bytes.length + 3));
        assertRefused(shard, bytes.length, "3 bytes after the last of 3 MDS samples");
    }

    private void indexRefused(final String text, final String at, final String reason, final int occurrence)
    {
        final Path file = dir.resolve("index.json");
        final DatasetException ex = assertThrows(DatasetException.class, () -> MdsIndex.parse(file, bytes(text)));
        final String message = ex.getMessage();
        assertEquals(file, ex.file(), message);
        if (null != at)
        {
            final int offset = occurrence < 0 ? text.lastIndexOf(at) : nth(text, at, occurrence);
            assertEquals(offset, ex.offset(), message);
        }
        assertTrue(message.startsWith(file + ": offset " + ex.offset() + ": MDS index: "), message);
        assertTrue(message.contains(reason), message);
        assertFalse(message.contains("\n"), message);
    }

    private void refused(final Consumer<ByteBuffer> change, final long offset, final String reason) throws Exception
    {
        final Path shard = Files.copy(fixture("mds/" + SHARD), Files.createTempDirectory(dir, "case").resolve(SHARD));
        assertEquals(3, scan(MDS, shard).size(), "positive control");
        final byte[] bytes = Files.readAllBytes(shard);
        change.accept(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        Files.write(shard, bytes);
        assertRefused(shard, offset, reason);
    }

    private static void assertRefused(final Path shard, final long offset, final String reason)
    {
        final DatasetException ex = assertThrows(DatasetException.class, () -> scan(MDS, shard));
        final String message = ex.getMessage();
        assertEquals(shard, ex.file(), message);
        assertEquals(offset, ex.offset(), message);
        assertTrue(message.startsWith(shard + ": offset " + offset + ": " + reason), message);
        assertFalse(message.contains("\n"), message);
    }

    private static int nth(final String text, final String part, final int occurrence)
    {
        int index = text.indexOf(part);
        for (int i = 0; i < occurrence; i++)
        {
            index = text.indexOf(part, index + 1);
        }

        return index;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
