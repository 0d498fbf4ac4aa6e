package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestTest
{
    private static final int CHUNK = DatasetIndexer.MIN_CHUNK_SIZE;

    @TempDir
    Path dir;

    @Test
    void aLaidOutManifestIsCheckedAsOneReadFromBytes()
    {
        final Manifest manifest = Manifest.ofLayout(FormatSpec.fixed(1024), 65_536, new String[]{ "a.bin" },
            new long[]{ 2 * 65_536 }, new int[]{ 0, 0 }, new long[]{ 0, 65_536 }, new int[]{ 65_536, 65_536 },
            new int[]{ 64, 64 }, new int[]{ 7, 9 });
        assertEquals(2, manifest.chunkCount());
        assertEquals(128, manifest.totalRecords());
        assertEquals(9, manifest.chunkCrc(1));
        final byte[] bytes = manifest.toBytes();
        assertEquals(manifest, Manifest.fromBytes(new UnsafeBuffer(bytes), 0, bytes.length, "test"));

        final DatasetException beyond = assertThrows(DatasetException.class, () -> Manifest.ofLayout(
            FormatSpec.fixed(1024), 65_536, new String[]{ "a.bin" }, new long[]{ 65_536 }, new int[]{ 0, 0 },
            new long[]{ 0, 65_536 }, new int[]{ 65_536, 65_536 }, new int[]{ 64, 64 }, new int[]{ 7, 9 }));
        assertTrue(beyond.getMessage().contains("a laid-out manifest"), beyond.getMessage());
        assertThrows(DatasetException.class, () -> Manifest.ofLayout(FormatSpec.tfrecord(4096), 65_536,
            new String[]{ "a.bin" }, new long[]{ 65_536 }, new int[]{ 0 }, new long[]{ 0 }, new int[]{ 65_536 },
            new int[]{ 64 }, new int[]{ 7 }));
    }

    @Test
    void writeThenReadGivesAnEqualManifest() throws Exception
    {
        for (final String format : new String[]{ "tfrecord:2000", "fixed:3000", "webdataset:9000" })
        {
            final Path datasetDir = dir.resolve(format.replace(':', '-'));
            DatasetGenerator.generate(datasetDir, FormatSpec.parse(format), 500_000, 1, 200_000);
            final Manifest manifest = DatasetIndexer.index(datasetDir, null, CHUNK);
            final Path file = datasetDir.resolve(Manifest.FILE_NAME);
            manifest.write(file);

            final Manifest read = Manifest.read(file);
            assertEquals(manifest, read, format);
            assertEquals(manifest.hashCode(), read.hashCode());
            assertEquals(manifest.datasetId(), read.datasetId());
            assertEquals(manifest.describe(), read.describe());

            final byte[] bytes = manifest.toBytes();
            final byte[] padded = new byte[bytes.length + 20];
            System.arraycopy(bytes, 0, padded, 7, bytes.length);
            assertEquals(manifest, Manifest.fromBytes(new UnsafeBuffer(padded), 7, bytes.length, "test"));

            final ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 3);
            direct.position(3);
            direct.put(bytes);
            assertEquals(manifest, Manifest.fromBytes(new UnsafeBuffer(direct), 3, bytes.length, "test"));

            try (Stream<Path> files = Files.list(datasetDir))
            {
                assertTrue(files.noneMatch(path -> path.getFileName().toString().endsWith(".tmp")), "no temp file");
            }
        }
    }

    @Test
    void answersForEveryChunk() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 300_000, 1, 100_000);
        final Manifest manifest = DatasetIndexer.index(dir, null, CHUNK);

        assertEquals(FormatSpec.fixed(1000), manifest.format());
        assertEquals(CHUNK, manifest.chunkSizeTarget());
        assertEquals(3, manifest.shardCount());
        assertEquals("shard-00001.bin", manifest.shardPath(1));
        assertEquals(100_000, manifest.shardLength(1));
        assertEquals(300, manifest.totalRecords());
        assertEquals(300_000, manifest.totalBytes());
        assertEquals(6, manifest.chunkCount(), "two chunks of 65 and 35 records per shard");
        assertEquals(65_000, manifest.maxChunkLength());
        assertEquals(35_000, manifest.minChunkLength());
        assertEquals(1, manifest.chunkShard(2));
        assertEquals(65_000, manifest.chunkOffset(3));
        assertEquals(35, manifest.chunkRecordCount(3));
        assertEquals(100, manifest.chunkFirstRecord(2));

        final RecordTable records = new RecordTable();
        manifest.recordsOf(3, records);
        assertEquals(35, records.count());
        assertEquals(34_000, records.offset(34));
        assertEquals(1000, records.length(34));
        assertThrows(IndexOutOfBoundsException.class, () -> records.offset(35));

        final String description = manifest.describe();
        for (final String expected : new String[]{ "fixed:1000", "3, 292.97 KiB", "300", "6 for a target of 64.00 KiB",
            "min 34.18 KiB", "max 63.48 KiB", manifest.datasetId() })
        {
            assertTrue(description.contains(expected), description);
        }
    }

    @Test
    void datasetIdIsStableAndFollowsTheContent() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.tfrecord(1000), 300_000, 1, 100_000);
        final Manifest first = DatasetIndexer.index(dir, null, CHUNK);
        final Manifest again = DatasetIndexer.index(dir, null, CHUNK);
        final Manifest otherChunks = DatasetIndexer.index(dir, null, 2 * CHUNK);

        assertTrue(first.datasetId().matches("[0-9a-f]{16}"), first.datasetId());
        assertEquals(first.datasetId(), again.datasetId());
        assertNotEquals(first.datasetId(), otherChunks.datasetId());

        DatasetGenerator.generate(dir, FormatSpec.tfrecord(1000), 300_000, 2, 100_000);
        assertNotEquals(first.datasetId(), DatasetIndexer.index(dir, null, CHUNK).datasetId());
    }

    @Test
    void aFlippedByteNamesTheFileAndOffset() throws Exception
    {
        final Path file = writeManifest();
        final byte[] bytes = Files.readAllBytes(file);

        assertCorrupt(file, flipped(bytes, 0), 0, "not a Stoker manifest");
        assertCorrupt(file, flipped(bytes, bytes.length / 2), bytes.length - 4, "checksum mismatch");
        assertCorrupt(file, flipped(bytes, bytes.length - 1), bytes.length - 4, "checksum mismatch");
        assertCorrupt(file, flipped(bytes, 8), 8, "unsupported manifest version");
    }

    @Test
    void aTruncatedFileNamesTheFileAndOffset() throws Exception
    {
        final Path file = writeManifest();
        final byte[] bytes = Files.readAllBytes(file);

        assertCorrupt(file, Arrays.copyOf(bytes, bytes.length - 10), bytes.length - 10, "truncated manifest");
        assertCorrupt(file, Arrays.copyOf(bytes, 5), 5, "truncated manifest");
        assertCorrupt(file, Arrays.copyOf(bytes, 15), 12, "truncated manifest");
        assertCorrupt(file, Arrays.copyOf(bytes, bytes.length + 3), bytes.length, "3 bytes after the end");
    }

    @Test
    void checksWhatAValidChecksumCovers() throws Exception
    {
        final Path file = writeManifest();
        final byte[] bytes = Files.readAllBytes(file);
        final String text = new String(bytes, StandardCharsets.ISO_8859_1);
        final int path = text.indexOf("shard-00000");
        final byte[] escaping = text.replace("shard-00000", "../../etc/x").getBytes(StandardCharsets.ISO_8859_1);
        assertCorrupt(file, withValidCrc(escaping), path - 4, "not a relative path inside the dataset");

        final Manifest manifest = Manifest.fromBytes(new UnsafeBuffer(bytes), 0, bytes.length, "test");
        final int chunkEntryBytes = 24;
        final int storedOffsets = manifest.format().storesRecordOffsets() ? (int)manifest.totalRecords() : 0;
        final int firstChunk = bytes.length - Integer.BYTES * (2 + storedOffsets) -
            chunkEntryBytes * manifest.chunkCount();
        final byte[] overflowing = bytes.clone();
        ByteBuffer.wrap(overflowing).order(ByteOrder.LITTLE_ENDIAN).putLong(firstChunk + Integer.BYTES, Long.MAX_VALUE);
        assertCorrupt(file, withValidCrc(overflowing), firstChunk, "does not fit shard 0");
    }

    @Test
    void damagedBytesWithAValidChecksumGiveOnlyDatasetExceptions() throws Exception
    {
        for (final String format : new String[]{ "webdataset:5000", "fixed:1000" })
        {
            DatasetGenerator.generate(dir, FormatSpec.parse(format), 200_000, 1, 100_000);
            final byte[] original = DatasetIndexer.index(dir, null, CHUNK).toBytes();
            final SplitMix64 random = new SplitMix64(format.hashCode());
            for (int i = 0; i < 2000; i++)
            {
                final byte[] damaged = original.clone();
                damaged[random.nextInt(12, damaged.length - 5)] ^= (byte)random.nextInt(1, 255);
                try
                {
                    Manifest.fromBytes(new UnsafeBuffer(withValidCrc(damaged)), 0, damaged.length, "fuzz");
                }
                catch (final DatasetException ex)
                {
                    assertEquals("fuzz", ex.source());
                    assertTrue(ex.offset() >= 0 && ex.offset() <= damaged.length, ex.getMessage());
                }
            }
        }
    }

    @Test
    void namesTheSourceOfBytesThatCameFromElsewhere() throws Exception
    {
        final byte[] bytes = Files.readAllBytes(writeManifest());
        final DatasetException ex = assertThrows(DatasetException.class,
            () -> Manifest.fromBytes(new UnsafeBuffer(bytes), 0, 100, "coordinator 10.0.0.1:4000"));
        assertNull(ex.file());
        assertEquals("coordinator 10.0.0.1:4000", ex.source());
        assertEquals(100, ex.offset());
        assertTrue(ex.getMessage().startsWith("coordinator 10.0.0.1:4000: offset 100: truncated"), ex.getMessage());
    }

    @Test
    void loadOrIndexUsesTheManifestOnlyWhileItFits() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 300_000, 1, 100_000);
        Files.delete(dir.resolve(DatasetIndexer.FORMAT_FILE_NAME));
        final Manifest manifest = DatasetIndexer.index(dir, FormatSpec.fixed(1000), CHUNK);
        manifest.write(dir.resolve(Manifest.FILE_NAME));

        final Manifest loaded = DatasetIndexer.loadOrIndex(dir, CHUNK);
        assertEquals(manifest, loaded);
        assertNotSame(manifest, loaded);

        final Manifest otherChunks = DatasetIndexer.loadOrIndex(dir, 2 * CHUNK);
        assertEquals(2 * CHUNK, otherChunks.chunkSizeTarget());
        assertEquals(FormatSpec.fixed(1000), otherChunks.format(), "format of the old manifest is kept");

        Files.write(dir.resolve("shard-00002.bin"), new byte[1000], java.nio.file.StandardOpenOption.APPEND);
        assertEquals(301, DatasetIndexer.loadOrIndex(dir, CHUNK).totalRecords());

        Files.write(dir.resolve(Manifest.FILE_NAME), new byte[]{ 1, 2, 3 });
        assertThrows(DatasetException.class, () -> DatasetIndexer.loadOrIndex(dir, CHUNK), "no format left to go by");
        Files.writeString(dir.resolve(DatasetIndexer.FORMAT_FILE_NAME), "fixed:1000");
        assertEquals(301, DatasetIndexer.loadOrIndex(dir, CHUNK).totalRecords());
    }

    private Path writeManifest()
    {
        DatasetGenerator.generate(dir, FormatSpec.webdataset(5000), 200_000, 1, 100_000);
        final Path file = dir.resolve(Manifest.FILE_NAME);
        DatasetIndexer.index(dir, null, CHUNK).write(file);
        return file;
    }

    private static void assertCorrupt(final Path file, final byte[] bytes, final long offset, final String reason)
        throws Exception
    {
        Files.write(file, bytes);
        final DatasetException ex = assertThrows(DatasetException.class, () -> Manifest.read(file));
        assertEquals(file, ex.file());
        assertEquals(offset, ex.offset(), ex.getMessage());
        assertTrue(ex.getMessage().startsWith(file + ": offset " + offset + ": "), ex.getMessage());
        assertTrue(ex.getMessage().contains(reason), ex.getMessage());
    }

    private static byte[] flipped(final byte[] bytes, final int index)
    {
        final byte[] copy = bytes.clone();
        copy[index] ^= 1;
        return copy;
    }

    private static byte[] withValidCrc(final byte[] bytes)
    {
        final int crc = Crc32c.of(Arrays.copyOf(bytes, bytes.length - 4));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 4, crc);
        return bytes;
    }
}
