package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link Manifest#fromBytes}, which decodes manifests received from the network: any bytes are either a
 * manifest whose every chunk fits its shard and whose every record fits its chunk, in order and apart but for the
 * token {@code megatron:...:seq:N} samples share, and which encodes and decodes to itself, or a
 * {@link DatasetException}.
 * <p>
 * Random bytes rarely carry a correct length and CRC32C, so every input is also decoded with both made right, which
 * takes the fuzzer past them into the tables.
 */
class ManifestFuzzTest
{
    private static final String SOURCE = "fuzz";
    private static final int LENGTH_OFFSET = 12;
    private static final int HEADER_BYTES = LENGTH_OFFSET + Long.BYTES;

    private static final int MAX_PARSED_CHUNK = 1 << 16;

    private final Crc32c crc = new Crc32c();
    private final RecordTable table = new RecordTable();
    private final ChunkRecords chunkRecords = new ChunkRecords();

    /**
     * Manifests of small generated datasets of every format.
     */
    static Stream<Arguments> fixtures() throws Exception
    {
        final Path dir = Files.createTempDirectory("stoker-fuzz-seeds");
        try
        {
            final Stream.Builder<Arguments> seeds = Stream.builder();
            for (final String format : new String[]{ "fixed:1000", "npy:<u2:100", "tfrecord:2000", "webdataset:5000",
                "megatron:int32", "megatron:seq:1000", "mds:3000" })
            {
                final Path dataset = dir.resolve(format.replace(':', '-'));
                DatasetGenerator.generate(dataset, FormatSpec.parse(format), 200_000, 1, 80_000);
                final Manifest manifest = DatasetIndexer.index(dataset, null, DatasetIndexer.MIN_CHUNK_SIZE);
                seeds.add(Arguments.of(Named.of(format, manifest.toBytes())));
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
    @DictionaryFile(resourcePath = "/fuzz/limits.dict")
    @FuzzTest
    void fromBytes(final byte[] input)
    {
        check(input);
        final byte[] sealed = withValidLengthAndCrc(input);
        if (!Arrays.equals(sealed, input))
        {
            check(sealed);
        }
    }

    private void check(final byte[] bytes)
    {
        final Manifest manifest;
        try
        {
            manifest = Manifest.fromBytes(new UnsafeBuffer(bytes), 0, bytes.length, SOURCE);
        }
        catch (final DatasetException ex)
        {
            FuzzChecks.assertBadInput(ex, SOURCE, bytes.length);
            return;
        }

        for (int shard = 0; shard < manifest.shardCount(); shard++)
        {
            assertFalse(Path.of(manifest.shardPath(shard)).isAbsolute(), "shard path inside the dataset");
            assertTrue(manifest.shardLength(shard) >= 0, "shard length");
        }

        long records = 0;
        for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
        {
            final int shard = manifest.chunkShard(chunk);
            final long offset = manifest.chunkOffset(chunk);
            final int length = manifest.chunkLength(chunk);
            assertTrue(shard >= 0 && shard < manifest.shardCount(), "chunk names a shard");
            final int id = chunk;
            assertTrue(offset >= 0 && length >= 1 && offset <= manifest.shardLength(shard) - length,
                () -> "chunk " + id + " of " + length + " bytes at " + offset + " inside its shard of " +
                manifest.shardLength(shard));
            assertEquals(records, manifest.chunkFirstRecord(chunk), "first record");

            if (manifest.format().boundariesInData())
            {
                // No bytes came with the manifest: bytes that frame nothing are refused, naming the shard.
                if (length <= MAX_PARSED_CHUNK)
                {
                    final DatasetException ex = assertThrows(DatasetException.class,
                        () -> chunkRecords.fill(ChunkDescriptors.of(manifest), id, ByteBuffer.allocate(length), table));
                    assertEquals(Path.of(manifest.shardPath(shard)), ex.file(), "names the shard");
                }
                records += manifest.chunkRecordCount(chunk);
                continue;
            }
            manifest.recordsOf(chunk, table);
            assertEquals(manifest.chunkRecordCount(chunk), table.count(), "record count");
            // Records start in order; only a strided view's records longer than their stride overlap the next.
            final int overlap = manifest.format().recordSize() - manifest.format().recordStride();
            int start = -1;
            int end = 0;
            for (int i = 0; i < table.count(); i++)
            {
                assertTrue(table.offset(i) > start && table.offset(i) >= end - overlap && table.length(i) >= 1,
                    "records in order");
                start = table.offset(i);
                end = table.offset(i) + table.length(i);
            }
            assertTrue(end <= length, "records inside the chunk");
            records += table.count();
        }
        assertEquals(records, manifest.totalRecords(), "total records");

        final byte[] encoded = manifest.toBytes();
        assertEquals(manifest, Manifest.fromBytes(new UnsafeBuffer(encoded), 0, encoded.length, SOURCE), "round trip");
    }

    /**
     * The input with its length field and trailing CRC32C set right, where it is long enough to hold them.
     */
    private byte[] withValidLengthAndCrc(final byte[] input)
    {
        final byte[] bytes = input.clone();
        if (bytes.length >= HEADER_BYTES + Integer.BYTES)
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(LENGTH_OFFSET, bytes.length);
            final int crcOffset = bytes.length - Integer.BYTES;
            buffer.putInt(crcOffset, crc.compute(buffer, 0, crcOffset));
        }

        return bytes;
    }
}
