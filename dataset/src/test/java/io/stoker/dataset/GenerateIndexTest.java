package io.stoker.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerateIndexTest
{
    private static final int[] CHUNK_SIZES = { DatasetIndexer.MIN_CHUNK_SIZE, 200_000, 1 << 20 };

    @TempDir
    Path dir;

    static Stream<Arguments> formats()
    {
        return Stream.of(
            Arguments.of("fixed:4096", 3 << 20),
            Arguments.of("fixed:1000", 1 << 20),
            Arguments.of("fixed:100KiB", 2 << 20),
            Arguments.of("npy", 3 << 20),
            Arguments.of("npy:<u2:300", 1 << 20),
            Arguments.of("npy:[('x', '<f4'), ('', '|V4'), ('y', '<i2', (3,)), ('s', '|S10')]:5", 1 << 20),
            Arguments.of("npy:<c16:3", 1 << 20),
            Arguments.of("tfrecord", 3 << 20),
            Arguments.of("tfrecord:100", 1 << 20),
            Arguments.of("tfrecord:300KiB", 3 << 20),
            Arguments.of("webdataset", 3 << 20),
            Arguments.of("tar:3000", 1 << 20),
            Arguments.of("webdataset:150KiB", 2 << 20));
    }

    @ParameterizedTest
    @MethodSource("formats")
    void indexFindsTheRecordsTheGeneratorWrote(final String formatText, final int totalBytes) throws Exception
    {
        final FormatSpec format = FormatSpec.parse(formatText);
        final GeneratedDataset generated = DatasetGenerator.generate(dir, format, totalBytes, 42, 1 << 20);
        assertTrue(generated.shardNames().size() > 1 || totalBytes <= 1 << 20, "several shards");
        assertTrue(generated.totalBytes() <= totalBytes);

        final Map<String, byte[]> files = new HashMap<>();
        for (final String name : generated.shardNames())
        {
            files.put(name, Files.readAllBytes(dir.resolve(name)));
        }

        for (final int chunkSize : CHUNK_SIZES)
        {
            final Manifest manifest = DatasetIndexer.index(dir, null, chunkSize);
            assertEquals(format, manifest.format());
            assertEquals(generated.shardNames().size(), manifest.shardCount());
            assertEquals(generated.recordCount(), manifest.totalRecords());
            checkChunks(manifest, generated, files, chunkSize);
        }
    }

    @Test
    void longNamesAreWrittenAsGnuLongNameEntries() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.webdataset(4096), 200_000, 1);
        final String tar = new String(Files.readAllBytes(dir.resolve(generated.shardNames().get(0))),
            java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(tar.contains("././@LongLink"));
        assertTrue(tar.contains("000000007.long-member-name-0123456789"));
    }

    private static void checkChunks(
        final Manifest manifest, final GeneratedDataset generated, final Map<String, byte[]> files, final int target)
    {
        final RecordTable records = new RecordTable();
        final CRC32C crc = new CRC32C();
        long record = 0;
        long bytes = 0;
        for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
        {
            final String shard = manifest.shardPath(manifest.chunkShard(chunk));
            final long chunkOffset = manifest.chunkOffset(chunk);
            final int chunkLength = manifest.chunkLength(chunk);
            assertEquals(record, manifest.chunkFirstRecord(chunk));

            manifest.recordsOf(chunk, records);
            assertEquals(manifest.chunkRecordCount(chunk), records.count());
            assertTrue(chunkLength <= target || records.count() == 1, "chunk within target");
            int expectedOffset = 0;
            for (int i = 0; i < records.count(); i++, record++)
            {
                assertEquals(generated.recordShard(record), shard, "shard of record " + record);
                assertEquals(generated.recordOffset(record), chunkOffset + records.offset(i), "offset of " + record);
                assertEquals(generated.recordLength(record), records.length(i), "length of record " + record);
                assertEquals(expectedOffset, records.offset(i), "records are back to back");
                expectedOffset += records.length(i);
            }
            assertEquals(chunkLength, expectedOffset, "chunk ends with its last record");

            final boolean nextContinuesChunk = record < generated.recordCount() &&
                generated.recordShard(record).equals(shard) &&
                generated.recordOffset(record) == chunkOffset + chunkLength;
            if (nextContinuesChunk)
            {
                assertTrue(chunkLength + generated.recordLength(record) > target, "chunks are filled greedily");
            }

            crc.reset();
            crc.update(files.get(shard), (int)chunkOffset, chunkLength);
            assertEquals((int)crc.getValue(), manifest.chunkCrc(chunk), "CRC of chunk " + chunk);
            bytes += chunkLength;
        }

        assertEquals(generated.recordCount(), record, "every record in exactly one chunk");
        assertEquals(bytes, manifest.totalBytes());
        assertEquals(generated.totalBytes(), manifest.totalBytes());
    }
}
