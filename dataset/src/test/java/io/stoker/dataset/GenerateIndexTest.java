package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
            Arguments.of("webdataset:150KiB", 2 << 20),
            Arguments.of("megatron", 3 << 20),
            Arguments.of("megatron:int64", 2 << 20),
            Arguments.of("megatron:uint8", 1 << 20),
            Arguments.of("mds", 3 << 20),
            Arguments.of("mds:100", 1 << 20),
            Arguments.of("mds:300KiB", 3 << 20));
    }

    static Stream<Arguments> samples()
    {
        return Stream.of(
            Arguments.of("megatron:seq:2048", 3 << 20),
            Arguments.of("megatron:int32:seq:100", 2 << 20),
            Arguments.of("megatron:uint8:seq:1", 1 << 20),
            Arguments.of("megatron:int64:seq:20000", 3 << 20));
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
            checkRecordBytes(manifest, generated, files);
        }
    }

    /**
     * Megatron's GPT samples: N + 1 tokens every N tokens of each .bin, chunks that overlap by the token their samples
     * share, and each chunk's CRC32C over its whole range.
     */
    @ParameterizedTest
    @MethodSource("samples")
    void indexFindsTheSamplesOfTheDocumentsTheGeneratorWrote(final String formatText, final int totalBytes)
        throws Exception
    {
        final FormatSpec format = FormatSpec.parse(formatText);
        final GeneratedDataset generated = DatasetGenerator.generate(dir, format, totalBytes, 42, 1 << 20);
        assertTrue(generated.shardNames().size() > 1 || totalBytes <= 1 << 20, "several shards");

        final Map<String, byte[]> files = new HashMap<>();
        long expectedSamples = 0;
        for (final String name : generated.shardNames())
        {
            files.put(name, Files.readAllBytes(dir.resolve(name)));
            final long tokens = files.get(name).length / format.megatronDtype().itemSize();
            expectedSamples += tokens > format.sequenceLength() ? (tokens - 1) / format.sequenceLength() : 0;
        }
        assertEquals(expectedSamples, generated.recordCount(), "the generator's samples");

        for (final int chunkSize : CHUNK_SIZES)
        {
            final Manifest manifest = DatasetIndexer.index(dir, null, chunkSize);
            assertEquals(format, manifest.format());
            assertEquals(generated.recordCount(), manifest.totalRecords());
            checkStridedChunks(manifest, generated, files, chunkSize);
            checkRecordBytes(manifest, generated, files);
            final byte[] encoded = manifest.toBytes();
            assertEquals(manifest, Manifest.fromBytes(new UnsafeBuffer(encoded), 0, encoded.length, "test"));
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

    private static ByteBuffer bytesOf(final byte[] file, final long offset, final int length)
    {
        return ByteBuffer.wrap(file, (int)offset, length).slice();
    }

    private static void checkChunks(
        final Manifest manifest, final GeneratedDataset generated, final Map<String, byte[]> files, final int target)
    {
        final RecordTable records = new RecordTable();
        final ChunkRecords chunkRecords = new ChunkRecords();
        final CRC32C crc = new CRC32C();
        long record = 0;
        long bytes = 0;
        for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
        {
            final String shard = manifest.shardPath(manifest.chunkShard(chunk));
            final long chunkOffset = manifest.chunkOffset(chunk);
            final int chunkLength = manifest.chunkLength(chunk);
            assertEquals(record, manifest.chunkFirstRecord(chunk));

            chunkRecords.fill(ChunkDescriptors.of(manifest), chunk, bytesOf(files.get(shard), chunkOffset, chunkLength),
                records);
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

    private static void checkStridedChunks(
        final Manifest manifest, final GeneratedDataset generated, final Map<String, byte[]> files, final int target)
    {
        final FormatSpec format = manifest.format();
        final int stride = format.recordStride();
        final int length = format.recordSize();
        final int itemSize = format.megatronDtype().itemSize();
        assertEquals(format.sequenceLength() * itemSize, stride);
        assertEquals(length, stride + itemSize, "a sample is one token longer than its stride");

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
            final int count = records.count();
            assertEquals(manifest.chunkRecordCount(chunk), count);
            assertEquals((count - 1L) * stride + length, chunkLength, "a chunk spans its samples");
            assertTrue(chunkLength <= target || count == 1, "chunk within target");
            for (int i = 0; i < count; i++, record++)
            {
                assertEquals(generated.recordShard(record), shard, "shard of record " + record);
                assertEquals(generated.recordOffset(record), chunkOffset + records.offset(i), "offset of " + record);
                assertEquals(generated.recordLength(record), records.length(i), "length of record " + record);
                assertEquals((long)i * stride, records.offset(i), "samples every stride");
            }

            final boolean nextContinues = record < generated.recordCount() &&
                generated.recordShard(record).equals(shard);
            if (nextContinues)
            {
                assertEquals(chunkOffset + (long)count * stride, generated.recordOffset(record), "next sample");
                assertEquals(chunkOffset + chunkLength - itemSize, generated.recordOffset(record),
                    "the next chunk starts at this one's last token");
                assertTrue(chunkLength + stride > target, "chunks are filled greedily");
            }

            crc.reset();
            crc.update(files.get(shard), (int)chunkOffset, chunkLength);
            assertEquals((int)crc.getValue(), manifest.chunkCrc(chunk), "CRC of chunk " + chunk);
            bytes += chunkLength;
        }

        assertEquals(generated.recordCount(), record, "every sample in exactly one chunk");
        assertEquals(bytes, manifest.totalBytes());
    }

    /**
     * Every record as a consumer gets it, its chunk's bytes cut by the chunk's record table, against the bytes where
     * the generator wrote it; and what the records of the new formats say of themselves: an MDS sample's size of
     * its tokens and its id, a Megatron sample's last token being the first of the next.
     */
    private static void checkRecordBytes(
        final Manifest manifest, final GeneratedDataset generated, final Map<String, byte[]> files)
    {
        final RecordTable records = new RecordTable();
        final ChunkRecords chunkRecords = new ChunkRecords();
        byte[] previous = null;
        String previousShard = null;
        for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
        {
            final String shard = manifest.shardPath(manifest.chunkShard(chunk));
            final int offset = (int)manifest.chunkOffset(chunk);
            final byte[] delivered = Arrays.copyOfRange(files.get(shard), offset, offset + manifest.chunkLength(chunk));
            chunkRecords.fill(ChunkDescriptors.of(manifest), chunk, ByteBuffer.wrap(delivered), records);
            for (int i = 0; i < records.count(); i++)
            {
                final long record = manifest.chunkFirstRecord(chunk) + i;
                final byte[] bytes =
                    Arrays.copyOfRange(delivered, records.offset(i), records.offset(i) + records.length(i));
                final int written = (int)generated.recordOffset(record);
                assertArrayEquals(Arrays.copyOfRange(files.get(generated.recordShard(record)), written,
                    written + generated.recordLength(record)), bytes, "bytes of record " + record);

                final FormatSpec format = manifest.format();
                if (format.kind() == FormatSpec.Kind.MDS)
                {
                    final ByteBuffer sample = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                    assertEquals(bytes.length - 12, sample.getInt(0), "size of tokens");
                    assertEquals(record, sample.getLong(4), "id");
                }
                else if (format.sequenceLength() > 0 && shard.equals(previousShard))
                {
                    final int token = format.megatronDtype().itemSize();
                    assertArrayEquals(Arrays.copyOfRange(previous, previous.length - token, previous.length),
                        Arrays.copyOf(bytes, token), "sample " + record + " starts with the last token before it");
                }

                previous = bytes;
                previousShard = shard;
            }
        }
    }
}
