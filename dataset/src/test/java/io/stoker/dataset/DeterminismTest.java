package io.stoker.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeterminismTest
{
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { "fixed:1000", "npy:<u2:300", "tfrecord:1000", "webdataset:5000", "megatron:int32",
        "megatron:seq:100", "mds:1000" })
    void sameSeedGivesTheSameBytesAndAnotherSeedOthers(final String format) throws Exception
    {
        final FormatSpec spec = FormatSpec.parse(format);
        final GeneratedDataset a = DatasetGenerator.generate(dir.resolve("a"), spec, 300_000, 11, 100_000);
        final GeneratedDataset b = DatasetGenerator.generate(dir.resolve("b"), spec, 300_000, 11, 100_000);
        final GeneratedDataset c = DatasetGenerator.generate(dir.resolve("c"), spec, 300_000, 12, 100_000);

        assertEquals(a.shardNames(), b.shardNames());
        assertTrue(a.shardNames().size() >= 3);
        for (final String shard : a.shardNames())
        {
            if (c.shardNames().contains(shard))
            {
                assertNotEquals(-1, Files.mismatch(a.dir().resolve(shard), c.dir().resolve(shard)), shard);
            }
        }

        final List<String> files = fileNames(a.dir());
        assertEquals(files, fileNames(b.dir()), "the same files, .idx and index.json included");
        for (final String file : files)
        {
            assertEquals(-1, Files.mismatch(a.dir().resolve(file), b.dir().resolve(file)), file);
        }
    }

    /**
     * Pins the generator's output, so that a change to it, or a JVM or machine that would write other bytes, is
     * noticed: datasets are meant to be reproducible anywhere from their arguments.
     */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "fixed:1000; 3 744d93a0",
        "npy:[('x', '<f4'), ('y', '<i2', (3,))]:7; 3 e844e7eb",
        "tfrecord:1000; 3 edd5f446",
        "webdataset:5000; 3 61d8d835" })
    void generatesTheSameBytesEverywhere(final String format, final String expectedShardsAndCrc) throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse(format), 100_000, 5, 40_000);
        final byte[][] shards = new byte[generated.shardNames().size()][];
        for (int i = 0; i < shards.length; i++)
        {
            shards[i] = Files.readAllBytes(dir.resolve(generated.shardNames().get(i)));
        }

        final String crc = String.format(Locale.ROOT, "%08x", Crc32c.of(shards));
        assertEquals(expectedShardsAndCrc, shards.length + " " + crc, format);
    }

    /**
     * Pins every file the generator writes for the formats with metadata beside their shards: the shards, each
     * {@code .idx}, {@code index.json} and the format file, in name order.
     */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "megatron:int32; 7 ee6b0c72",
        "megatron:uint16:seq:100; 7 0e6b4974",
        "mds:1000; 5 b992cd21" })
    void generatesTheSameFilesEverywhere(final String format, final String expectedFilesAndCrc) throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse(format), 100_000, 5, 40_000);
        final List<String> names = fileNames(dir);
        final byte[][] files = new byte[names.size()][];
        for (int i = 0; i < files.length; i++)
        {
            files[i] = Files.readAllBytes(dir.resolve(names.get(i)));
        }

        final String crc = String.format(Locale.ROOT, "%08x", Crc32c.of(files));
        assertEquals(expectedFilesAndCrc, files.length + " " + crc, format + ": " + names);
    }

    private static List<String> fileNames(final Path dir) throws Exception
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(file -> file.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
