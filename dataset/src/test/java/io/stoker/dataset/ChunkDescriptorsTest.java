package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a worker learns of a dataset: the layout (format, shards, record counts) and, chunk by chunk, descriptors
 * checked against it. Every format's records come out of a chunk's bytes and its descriptor as the generator wrote
 * them; a descriptor that does not fit is refused, naming the chunk.
 */
class ChunkDescriptorsTest
{
    @TempDir
    Path dir;

    private final RecordTable table = new RecordTable();
    private final ChunkRecords chunkRecords = new ChunkRecords();

    @ParameterizedTest
    @ValueSource(strings = { "fixed:1000", "npy", "tfrecord:200", "webdataset:4000", "megatron:int32",
        "megatron:uint16:seq:300", "mds:300" })
    void everyFormatsRecordsComeFromTheLayoutAndTheDescriptorsAsTheCoordinatorSendsThem(final String format)
        throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse(format), 400_000, 3,
            150_000);
        final Manifest manifest = DatasetIndexer.index(dir, null, DatasetIndexer.MIN_CHUNK_SIZE);
        final byte[] bytes = DatasetLayout.of(manifest).toBytes();
        final DatasetLayout layout = DatasetLayout.fromBytes(bytes, bytes.length, "test");
        assertEquals(DatasetLayout.of(manifest), layout);
        assertTrue(bytes.length < 128 * manifest.shardCount() + 64 + 16L * runs(manifest),
            "run-length coded: " + bytes.length + " bytes for " + manifest.chunkCount() + " chunks");

        final ChunkDescriptors descriptors = new ChunkDescriptors(layout);
        final byte[] lengths = new byte[1 << 20];
        long record = 0;
        for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
        {
            final int written = manifest.format().storesRecordOffsets() ?
                ChunkDescriptors.encodeLengths(manifest, chunk, new RecordTable(), lengths, 0) : 0;
            assertNull(descriptors.put(0, chunk, manifest.chunkShard(chunk), manifest.chunkOffset(chunk),
                manifest.chunkLength(chunk), manifest.chunkRecordCount(chunk), manifest.chunkCrc(chunk),
                new UnsafeBuffer(lengths), 0, written));
            chunkRecords.fill(descriptors, chunk, chunkBytes(manifest, chunk), table);
            assertEquals(manifest.chunkRecordCount(chunk), table.count());
            for (int i = 0; i < table.count(); i++, record++)
            {
                assertEquals(generated.recordOffset(record), manifest.chunkOffset(chunk) + table.offset(i),
                    "record " + record);
                assertEquals(generated.recordLength(record), table.length(i), "record " + record);
            }
        }
        assertEquals(generated.recordCount(), record);
    }

    @Test
    void aDescriptorThatDoesNotFitTheLayoutIsRefusedNamingTheChunk() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse("mds:300"), 200_000, 2, 100_000);
        final Manifest manifest = DatasetIndexer.index(dir, null, DatasetIndexer.MIN_CHUNK_SIZE);
        final ChunkDescriptors descriptors = new ChunkDescriptors(DatasetLayout.of(manifest));
        final int chunk = 1;
        final int shard = manifest.chunkShard(chunk);
        final long offset = manifest.chunkOffset(chunk);
        final int length = manifest.chunkLength(chunk);
        final int records = manifest.chunkRecordCount(chunk);
        final int crc = manifest.chunkCrc(chunk);
        final byte[] lengths = new byte[5 * records];
        final int written = ChunkDescriptors.encodeLengths(manifest, chunk, new RecordTable(), lengths, 0);
        final UnsafeBuffer good = new UnsafeBuffer(lengths, 0, written);

        assertRefused("offset + length overflows", descriptors.put(0, chunk, shard, Long.MAX_VALUE - 1, length,
            records, crc, good, 0, written));
        assertRefused("passes the shard", descriptors.put(0, chunk, shard, manifest.shardLength(shard) - length + 1,
            length, records, crc, good, 0, written));
        assertRefused("another shard", descriptors.put(0, chunk, shard + 1, offset, length, records, crc, good, 0,
            written));
        assertRefused("another record count", descriptors.put(0, chunk, shard, offset, length, records + 1, crc,
            good, 0, written));
        assertRefused("lengths that sum short", descriptors.put(0, chunk, shard, offset, length + 1, records, crc,
            good, 0, written));
        assertRefused("a length cut short", descriptors.put(0, chunk, shard, offset, length, records, crc, good, 0,
            written - 1));
        assertRefused("no chunk of that id", descriptors.put(0, manifest.chunkCount(), shard, offset, length,
            records, crc, good, 0, written));
        assertFalse(descriptors.isKnown(chunk), "nothing refused is kept");

        assertNull(descriptors.put(0, chunk, shard, offset, length, records, crc, good, 0, written),
            "positive control");
        assertTrue(descriptors.isKnown(chunk));
        assertRefused("described again otherwise", descriptors.put(1, chunk, shard, offset, length, records, crc + 1,
            good, 0, written));
        assertNull(descriptors.put(1, chunk, shard, offset, length, records, crc, good, 0, written),
            "described again the same way, for a later epoch");
    }

    @Test
    void descriptorsAreKeptWhileAnEpochThatUsesThemIsOpen() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse("fixed:1000"), 200_000, 1, 200_000);
        final Manifest manifest = DatasetIndexer.index(dir, null, DatasetIndexer.MIN_CHUNK_SIZE);
        final ChunkDescriptors descriptors = new ChunkDescriptors(DatasetLayout.of(manifest));
        final UnsafeBuffer none = new UnsafeBuffer(new byte[0]);
        for (int chunk = 0; chunk < 3; chunk++)
        {
            assertNull(descriptors.put(chunk == 2 ? 1 : 0, chunk, 0, manifest.chunkOffset(chunk),
                manifest.chunkLength(chunk), manifest.chunkRecordCount(chunk), manifest.chunkCrc(chunk), none, 0,
                0));
        }
        assertNull(descriptors.put(1, 0, 0, manifest.chunkOffset(0), manifest.chunkLength(0),
            manifest.chunkRecordCount(0), manifest.chunkCrc(0), none, 0, 0), "chunk 0 is used in epoch 1 too");

        assertEquals(1, descriptors.forgetBefore(1), "epoch 0 closed: chunk 1 was used by it alone");
        assertTrue(descriptors.isKnown(0) && !descriptors.isKnown(1) && descriptors.isKnown(2));
        assertThrows(IllegalStateException.class, () -> descriptors.length(1));
        assertEquals(2, descriptors.forgetBefore(2));
        assertEquals(0, descriptors.size());
    }

    @Test
    void hostileLayoutBytesAreRefusedWithoutALargeAllocation() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse("fixed:1000"), 200_000, 1, 200_000);
        final Manifest manifest = DatasetIndexer.index(dir, null, DatasetIndexer.MIN_CHUNK_SIZE);
        final byte[] huge = DatasetLayout.of(manifest).toBytes();
        final ByteBuffer out = ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN);
        final int chunksAt = huge.length - 2 * Integer.BYTES * runs(manifest) - 2 * Integer.BYTES;
        assertEquals(manifest.chunkCount(), out.getInt(chunksAt), "the one shard's chunk count");
        out.putInt(chunksAt, Integer.MAX_VALUE);
        final DatasetException refused = assertThrows(DatasetException.class,
            () -> DatasetLayout.fromBytes(huge, huge.length, "test layout"));
        assertTrue(refused.getMessage().contains("test layout"), refused.getMessage());
        assertThrows(DatasetException.class, () -> DatasetLayout.fromBytes(huge, 7, "truncated"));
    }

    private static void assertRefused(final String what, final String refusal)
    {
        assertTrue(null != refusal && refusal.startsWith("descriptor of chunk "), what + ": " + refusal);
    }

    private static int runs(final Manifest manifest)
    {
        int runs = 0;
        for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
        {
            if (0 == chunk || manifest.chunkRecordCount(chunk) != manifest.chunkRecordCount(chunk - 1))
            {
                runs++;
            }
        }
        return runs;
    }

    private ByteBuffer chunkBytes(final Manifest manifest, final int chunk) throws Exception
    {
        final ByteBuffer bytes = ByteBuffer.allocate(manifest.chunkLength(chunk));
        try (FileChannel channel = FileChannel.open(dir.resolve(manifest.shardPath(manifest.chunkShard(chunk)))))
        {
            channel.read(bytes, manifest.chunkOffset(chunk));
        }
        return bytes.clear();
    }
}
