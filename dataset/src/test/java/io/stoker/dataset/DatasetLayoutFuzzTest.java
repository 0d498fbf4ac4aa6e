package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes what a worker reads of a job's dataset from the coordinator: any bytes give a {@link DatasetLayout} that
 * encodes back to an equal layout, or a {@link DatasetException} naming the source — never another exception; and
 * a chunk descriptor with any fields and record lengths against that layout is kept or refused with a reason naming
 * it — never an exception, and a kept one lies inside its shard.
 * <p>
 * An input is a layout's bytes, then 28 bytes of one descriptor (chunk id, shard, offset, length, record count,
 * CRC32C) and its record lengths: the split is the input's first byte, as an offset from its end.
 */
class DatasetLayoutFuzzTest
{
    private static final int DESCRIPTOR_BYTES = 28;

    /**
     * The layouts of small generated datasets, one of a format whose descriptors carry record lengths, with a
     * descriptor of their first chunk.
     */
    static Stream<Arguments> fixtures() throws Exception
    {
        final Path dir = Files.createTempDirectory("stoker-fuzz-seeds");
        try
        {
            final Stream.Builder<Arguments> seeds = Stream.builder();
            for (final String format : new String[]{ "fixed:1000", "mds:3000" })
            {
                final Path dataset = dir.resolve(format.replace(':', '-'));
                DatasetGenerator.generate(dataset, FormatSpec.parse(format), 150_000, 2, 100_000);
                final Manifest manifest = DatasetIndexer.index(dataset, null, DatasetIndexer.MIN_CHUNK_SIZE);
                final byte[] layout = DatasetLayout.of(manifest).toBytes();
                final byte[] lengths = new byte[5 * manifest.chunkRecordCount(0)];
                final int written = manifest.format().storesRecordOffsets() ?
                    ChunkDescriptors.encodeLengths(manifest, 0, new RecordTable(), lengths, 0) : 0;
                final int tail = DESCRIPTOR_BYTES + written;
                if (tail > 255)
                {
                    continue;
                }
                final ByteBuffer input = ByteBuffer.allocate(1 + layout.length + tail).order(ByteOrder.LITTLE_ENDIAN);
                input.put((byte)tail).put(layout).putInt(0).putInt(manifest.chunkShard(0))
                    .putLong(manifest.chunkOffset(0)).putInt(manifest.chunkLength(0))
                    .putInt(manifest.chunkRecordCount(0)).putInt(manifest.chunkCrc(0)).put(lengths, 0, written);
                seeds.add(Arguments.of(Named.of(format, input.array())));
            }
            return seeds.build();
        }
        finally
        {
            try (Stream<Path> paths = Files.walk(dir))
            {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @MethodSource("fixtures")
    @FuzzTest
    void layoutAndDescriptor(final byte[] input)
    {
        if (input.length < 1)
        {
            return;
        }
        final int tail = Math.min(input[0] & 0xFF, input.length - 1);
        final byte[] layoutBytes = Arrays.copyOfRange(input, 1, input.length - tail);
        final DatasetLayout layout;
        try
        {
            layout = DatasetLayout.fromBytes(layoutBytes, layoutBytes.length, "fuzzed layout");
        }
        catch (final DatasetException ex)
        {
            assertTrue(ex.getMessage().contains("fuzzed layout"), ex.getMessage());
            return;
        }
        final byte[] again = layout.toBytes();
        assertEquals(layout, DatasetLayout.fromBytes(again, again.length, "encoded again"), "it encodes back");
        if (tail < DESCRIPTOR_BYTES || 0 == layout.chunkCount())
        {
            return;
        }
        final ByteBuffer descriptor = ByteBuffer.wrap(input, input.length - tail, tail).order(ByteOrder.LITTLE_ENDIAN);
        final int chunkId = descriptor.getInt();
        final int shard = descriptor.getInt();
        final long offset = descriptor.getLong();
        final int length = descriptor.getInt();
        final int records = descriptor.getInt();
        final int crc = descriptor.getInt();
        final ChunkDescriptors descriptors = new ChunkDescriptors(layout);
        final String refusal = descriptors.put(0, chunkId, shard, offset, length, records, crc,
            new UnsafeBuffer(input), descriptor.position(), descriptor.remaining());
        if (null != refusal)
        {
            assertTrue(refusal.startsWith("descriptor of chunk " + chunkId), refusal);
            return;
        }
        assertTrue(offset >= 0 && length >= 1 && offset + length <= layout.shardLength(shard),
            "kept inside its shard: " + offset + " + " + length);
        if (!layout.format().boundariesInData())
        {
            final RecordTable table = new RecordTable();
            new ChunkRecords().fill(descriptors, chunkId, ByteBuffer.allocate(0), table);
            assertEquals(records, table.count(), "its records");
        }
    }
}
