package io.stoker.dataset.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.SplitMix64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.stoker.dataset.format.Fixtures.fixture;
import static io.stoker.dataset.format.Fixtures.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged files of every format give a {@link DatasetException} naming the file, never another exception.
 */
class CorruptInputTest
{
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "npy, npy/v1_f4_2d.npy",
        "npy, npy/v2_structured.npy",
        "npy, npy/v3_utf8.npy",
        "tar, tar/gnu.tar",
        "tar, tar/pax.tar",
        "tfrecord, tfrecord/three.tfrecord",
        "mds, mds/shard.00000.mds",
        "mds, mds/shard.00001.mds" })
    void damagedFilesGiveOnlyDatasetExceptions(final String format, final String name) throws Exception
    {
        final FormatSpec spec = FormatSpec.parse(format);
        final byte[] original = Files.readAllBytes(fixture(name));
        final Path file = dir.resolve("damaged");
        final SplitMix64 random = new SplitMix64(name.hashCode());
        for (int i = 0; i < 300; i++)
        {
            final byte[] damaged = damage(original, random, i);
            Files.write(file, damaged);
            try
            {
                scan(spec, file);
            }
            catch (final DatasetException ex)
            {
                assertEquals(file, ex.file());
                assertTrue(ex.offset() >= -1 && ex.offset() <= damaged.length, ex.getMessage());
            }
        }
    }

    @Test
    void damagedMegatronIndexesAndMdsIndexesGiveOnlyDatasetExceptions() throws Exception
    {
        final Path bin = Files.copy(fixture("megatron/docs.bin"), dir.resolve("docs.bin"));
        final Path index = dir.resolve("docs.idx");
        final byte[] megatron = Files.readAllBytes(fixture("megatron/docs.idx"));
        final Path json = dir.resolve("index.json");
        final byte[] mds = Files.readAllBytes(fixture("mds/index.json"));
        final SplitMix64 random = new SplitMix64(17);
        for (int i = 0; i < 300; i++)
        {
            Files.write(index, damage(megatron, random, i));
            for (final String spec : new String[]{ "megatron", "megatron:seq:2" })
            {
                try
                {
                    scan(FormatSpec.parse(spec), bin);
                }
                catch (final DatasetException ex)
                {
                    assertTrue(ex.file().equals(index) || ex.file().equals(bin), ex.getMessage());
                    assertTrue(ex.offset() >= -1 && ex.offset() <= Files.size(ex.file()), ex.getMessage());
                }
            }

            final byte[] damaged = damage(mds, random, i);
            try
            {
                MdsIndex.parse(json, damaged);
            }
            catch (final DatasetException ex)
            {
                assertEquals(json, ex.file());
                assertTrue(ex.offset() >= -1 && ex.offset() <= damaged.length, ex.getMessage());
            }
        }
    }

    private static byte[] damage(final byte[] original, final SplitMix64 random, final int i)
    {
        final byte[] damaged = i % 3 == 0 ?
            Arrays.copyOf(original, random.nextInt(0, original.length - 1)) : original.clone();
        for (int flips = i % 3 == 0 ? 0 : random.nextInt(1, 4); flips > 0; flips--)
        {
            damaged[random.nextInt(0, damaged.length - 1)] ^= (byte)random.nextInt(1, 255);
        }

        return damaged;
    }

    @Test
    void npyHeadersCannotAskForTooMuch() throws Exception
    {
        final byte[] bytes = Files.readAllBytes(fixture("npy/v2_structured.npy"));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, Integer.MAX_VALUE);
        final Path huge = Files.write(dir.resolve("huge.npy"), bytes);
        assertEquals(8, assertThrows(DatasetException.class, () -> scan(FormatSpec.parse("npy"), huge)).offset());

        final String nested = "[('a', ".repeat(1000) + "'<f4'" + ")]".repeat(1000);
        final String header = "{'descr': " + nested + ", 'fortran_order': False, 'shape': (1,), }";
        final ByteBuffer deep = ByteBuffer.allocate(12 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        deep.put(new byte[]{ (byte)0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0 }).putInt(header.length());
        deep.put(header.getBytes(StandardCharsets.US_ASCII));
        final Path deepFile = Files.write(dir.resolve("deep.npy"), deep.array());
        final DatasetException ex = assertThrows(DatasetException.class, () -> scan(FormatSpec.parse("npy"), deepFile));
        assertTrue(ex.getMessage().contains("nested deeper"), ex.getMessage());
    }

    @Test
    void npyVersion3HeaderThatIsNotUtf8() throws Exception
    {
        final byte[] bytes = Files.readAllBytes(fixture("npy/v3_utf8.npy"));
        final int bad = 12 + new String(bytes, 12, 40, StandardCharsets.ISO_8859_1).indexOf("temp");
        Arrays.fill(bytes, bad, bad + 8, (byte)0xFF);
        final Path file = Files.write(dir.resolve("latin.npy"), bytes);
        final DatasetException ex = assertThrows(DatasetException.class, () -> scan(FormatSpec.parse("npy"), file));
        assertEquals(bad, ex.offset(), ex.getMessage());
        assertTrue(ex.getMessage().contains("not UTF-8"), ex.getMessage());
    }
}
