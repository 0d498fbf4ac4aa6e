package io.stoker.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

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
    @ValueSource(strings = { "fixed:1000", "npy:<u2:300", "tfrecord:1000", "webdataset:5000" })
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
            assertEquals(-1, Files.mismatch(a.dir().resolve(shard), b.dir().resolve(shard)), shard);
            if (c.shardNames().contains(shard))
            {
                assertNotEquals(-1, Files.mismatch(a.dir().resolve(shard), c.dir().resolve(shard)), shard);
            }
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
}
