package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Record boundaries found in a chunk's bytes when it arrives, for the formats whose framing holds them, and the
 * chunks whose bytes do not frame what the manifest says refused with the shard file and the offset in it.
 */
class ChunkRecordsTest
{
    @TempDir
    Path dir;

    private final ChunkRecords chunkRecords = new ChunkRecords();
    private final RecordTable table = new RecordTable();

    @Test
    void tfRecordAndTarManifestsStoreNoRecordOffsetsButTheBytesGiveEveryRecord() throws Exception
    {
        for (final FormatSpec format : new FormatSpec[]{ FormatSpec.tfrecord(200), FormatSpec.webdataset(4000) })
        {
            final Path dataset = dir.resolve(format.kind().name());
            final GeneratedDataset generated = DatasetGenerator.generate(dataset, format, 400_000, 7, 150_000);
            final Manifest manifest = DatasetIndexer.index(dataset, null, DatasetIndexer.MIN_CHUNK_SIZE);
            assertTrue(manifest.toBytes().length < 64 * manifest.chunkCount() + 1024,
                "no per-record offsets stored: " + manifest.toBytes().length + " bytes for " +
                manifest.totalRecords() + " records");

            long record = 0;
            for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
            {
                chunkRecords.fill(ChunkDescriptors.of(manifest), chunk, chunkBytes(dataset, manifest, chunk), table);
                assertEquals(manifest.chunkRecordCount(chunk), table.count());
                for (int i = 0; i < table.count(); i++, record++)
                {
                    assertEquals(generated.recordOffset(record), manifest.chunkOffset(chunk) + table.offset(i));
                    assertEquals(generated.recordLength(record), table.length(i));
                }
            }
            assertEquals(generated.recordCount(), record);
        }
    }

    @Test
    void aTfRecordChunkWhoseLengthFramingIsBadIsRefusedNamingTheFileAndOffset() throws Exception
    {
        final Manifest manifest = generate(FormatSpec.tfrecord(200));
        final int chunk = 1;
        final ByteBuffer bytes = chunkBytes(dir, manifest, chunk);
        final int second = (int)(bytes.getLong(0) + 16);
        bytes.put(second + 2, (byte)(bytes.get(second + 2) ^ 0x40));

        final DatasetException ex = assertThrows(DatasetException.class,
            () -> chunkRecords.fill(ChunkDescriptors.of(manifest), chunk, bytes, table));
        assertEquals(Path.of(manifest.shardPath(manifest.chunkShard(chunk))), ex.file());
        assertEquals(manifest.chunkOffset(chunk) + second, ex.offset(), ex.getMessage());
        assertTrue(ex.getMessage().contains("chunk 1: TFRecord length CRC mismatch"), ex.getMessage());
    }

    @Test
    void aTarChunkWhoseHeaderIsBadIsRefusedNamingTheFileAndOffset() throws Exception
    {
        final Manifest manifest = generate(FormatSpec.webdataset(4000));
        final int chunk = 2;
        final ByteBuffer bytes = chunkBytes(dir, manifest, chunk);
        bytes.put(148, (byte)'9');

        final DatasetException ex = assertThrows(DatasetException.class,
            () -> chunkRecords.fill(ChunkDescriptors.of(manifest), chunk, bytes, table));
        assertEquals(Path.of(manifest.shardPath(manifest.chunkShard(chunk))), ex.file());
        assertEquals(manifest.chunkOffset(chunk), ex.offset(), ex.getMessage());
    }

    @Test
    void bytesThatFrameOtherRecordsThanTheManifestSaysAreRefused() throws Exception
    {
        final Manifest manifest = generate(FormatSpec.tfrecord(200));
        final int chunk = 0;
        final int length = manifest.chunkLength(chunk);
        final ByteBuffer whole = chunkBytes(dir, manifest, chunk);
        final int first = (int)(whole.getLong(0) + 16);
        final ByteBuffer shiftedBytes = ByteBuffer.allocate(length).put(whole.duplicate().position(first)).clear();

        final DatasetException shifted = assertThrows(DatasetException.class,
            () -> chunkRecords.fill(ChunkDescriptors.of(manifest), chunk, shiftedBytes, table));
        assertEquals(manifest.chunkOffset(chunk) + length - first, shifted.offset(), shifted.getMessage());

        final ByteBuffer cut = ByteBuffer.allocate(length).put(whole.duplicate().limit(first)).clear();
        final DatasetException fewer = assertThrows(DatasetException.class,
            () -> chunkRecords.fill(ChunkDescriptors.of(manifest), chunk, cut, table));
        assertEquals(manifest.chunkOffset(chunk) + first, fewer.offset(), fewer.getMessage());

        final ByteBuffer zeros = ByteBuffer.allocate(length);
        final DatasetException nothing = assertThrows(DatasetException.class,
            () -> chunkRecords.fill(ChunkDescriptors.of(manifest), chunk, zeros, table));
        assertEquals(manifest.chunkOffset(chunk), nothing.offset(), nothing.getMessage());
    }

    @Test
    void aCopiedTableKeepsItsRecordsWhenTheFirstIsFilledAnew() throws Exception
    {
        final Manifest manifest = generate(FormatSpec.tfrecord(200));
        chunkRecords.fill(ChunkDescriptors.of(manifest), 0, chunkBytes(dir, manifest, 0), table);
        final RecordTable copy = new RecordTable();
        copy.copyFrom(table);
        final int secondOffset = table.offset(1);
        chunkRecords.fill(ChunkDescriptors.of(manifest), 1, chunkBytes(dir, manifest, 1), table);

        assertEquals(manifest.chunkRecordCount(0), copy.count());
        assertEquals(secondOffset, copy.offset(1));
    }

    private Manifest generate(final FormatSpec format)
    {
        DatasetGenerator.generate(dir, format, 300_000, 3, 300_000);
        return DatasetIndexer.index(dir, null, DatasetIndexer.MIN_CHUNK_SIZE);
    }

    private static ByteBuffer chunkBytes(final Path dataset, final Manifest manifest, final int chunk)
        throws Exception
    {
        final byte[] file = Files.readAllBytes(dataset.resolve(manifest.shardPath(manifest.chunkShard(chunk))));
        final int offset = (int)manifest.chunkOffset(chunk);
        return ByteBuffer.wrap(file, offset, manifest.chunkLength(chunk)).slice()
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }
}
