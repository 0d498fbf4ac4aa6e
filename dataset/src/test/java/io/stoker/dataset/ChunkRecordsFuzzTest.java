package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link ChunkRecords#fill} over the bytes of a TFRecord or tar chunk, which a worker reads from a data server
 * and parses as it arrives: any bytes give exactly the manifest's records, back to back from the chunk's first byte
 * to its last, or a {@link DatasetException} naming the shard and an offset inside the chunk — never another
 * exception, never records outside the chunk.
 * <p>
 * An input is a format byte (even: TFRecord, odd: tar), the record count the manifest claims less one, then the
 * chunk's bytes.
 */
class ChunkRecordsFuzzTest
{
    private static final String SHARD = "shard-00000";
    private static final long CHUNK_OFFSET = 4096;

    private final ChunkRecords chunkRecords = new ChunkRecords();
    private final RecordTable table = new RecordTable();

    /**
     * The first chunk of small generated datasets of both formats, with their record counts.
     */
    static Stream<Arguments> fixtures() throws Exception
    {
        final Path dir = Files.createTempDirectory("stoker-fuzz-seeds");
        try
        {
            final Stream.Builder<Arguments> seeds = Stream.builder();
            final String[] formats = { "tfrecord:600", "webdataset:3000" };
            for (int kind = 0; kind < formats.length; kind++)
            {
                final Path dataset = dir.resolve(String.valueOf(kind));
                DatasetGenerator.generate(dataset, FormatSpec.parse(formats[kind]), 200_000, 1, 200_000);
                final Manifest manifest = DatasetIndexer.index(dataset, null, DatasetIndexer.MIN_CHUNK_SIZE);
                final byte[] shard = Files.readAllBytes(dataset.resolve(manifest.shardPath(0)));
                final int records = manifest.chunkRecordCount(0);
                assertTrue(records <= 256, "a seed's record count fits a byte: " + records);
                final byte[] input = new byte[2 + manifest.chunkLength(0)];
                input[0] = (byte)kind;
                input[1] = (byte)(records - 1);
                System.arraycopy(shard, (int)manifest.chunkOffset(0), input, 2, manifest.chunkLength(0));
                seeds.add(Arguments.of(Named.of(formats[kind], input)));
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
    void fill(final byte[] input)
    {
        if (input.length < 3)
        {
            return;
        }
        final FormatSpec format = (input[0] & 1) == 0 ? FormatSpec.tfrecord(600) : FormatSpec.webdataset(3000);
        final int records = 1 + (input[1] & 0xFF);
        final int length = input.length - 2;
        final Manifest manifest = new Manifest(format, DatasetIndexer.MIN_CHUNK_SIZE, new String[]{ SHARD },
            new long[]{ CHUNK_OFFSET + length }, new int[]{ 0 }, new long[]{ CHUNK_OFFSET }, new int[]{ length },
            new int[]{ records }, new int[]{ 0 }, null);
        final ByteBuffer bytes = ByteBuffer.wrap(Arrays.copyOfRange(input, 2, input.length));
        try
        {
            chunkRecords.fill(ChunkDescriptors.of(manifest), 0, bytes, table);
        }
        catch (final DatasetException ex)
        {
            assertEquals(Path.of(SHARD), ex.file(), ex.getMessage());
            assertTrue(ex.offset() >= CHUNK_OFFSET && ex.offset() <= CHUNK_OFFSET + length, ex.getMessage());
            return;
        }

        assertEquals(records, table.count(), "the manifest's records");
        int end = 0;
        for (int i = 0; i < table.count(); i++)
        {
            assertEquals(end, table.offset(i), "back to back from the first byte");
            assertTrue(table.length(i) >= 1, "a record holds bytes");
            end += table.length(i);
        }
        assertEquals(length, end, "to the last byte");
    }
}
