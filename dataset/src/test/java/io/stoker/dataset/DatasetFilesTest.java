package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shards and metadata of Megatron-LM and MDS directories: how their format is told, which files are shards,
 * and when a manifest no longer describes them.
 */
class DatasetFilesTest
{
    private static final int CHUNK = DatasetIndexer.MIN_CHUNK_SIZE;

    @TempDir
    Path dir;

    @Test
    void tellsMegatronFromItsIndexFilesAndServesOnlyTheBins() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse("megatron:int32"),
            100_000, 3, 40_000);
        Files.delete(dir.resolve(DatasetIndexer.FORMAT_FILE_NAME));

        final DatasetFiles files = DatasetFiles.of(dir, null);
        assertEquals(FormatSpec.parse("megatron"), files.format(), "the default mode, the dtype from the files");
        assertEquals(generated.shardNames().stream().map(dir::resolve).toList(), files.shards());

        final Manifest manifest = DatasetIndexer.index(dir, null, CHUNK);
        assertEquals(FormatSpec.parse("megatron:int32"), manifest.format());
        assertEquals(generated.recordCount(), manifest.totalRecords());
        assertEquals(FormatSpec.parse("megatron:int32:seq:500"),
            DatasetIndexer.index(dir, FormatSpec.parse("megatron:seq:500"), CHUNK).format());
    }

    @Test
    void tellsMdsFromItsIndexAndTakesTheShardsInItsOrder() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse("mds:3000"), 100_000, 3,
            40_000);
        Files.delete(dir.resolve(DatasetIndexer.FORMAT_FILE_NAME));

        final DatasetFiles files = DatasetFiles.of(dir, null);
        assertEquals(FormatSpec.parse("mds"), files.format());
        assertEquals(generated.shardNames().stream().map(dir::resolve).toList(), files.shards());
        assertEquals(generated.recordCount(), DatasetIndexer.index(dir, null, CHUNK).totalRecords());

        final Path index = dir.resolve("index.json");
        final String text = Files.readString(index);
        final String first = "shard.00000.mds";
        final String second = "shard.00001.mds";
        Files.writeString(index, text.replace(first, "swap").replace(second, first).replace("swap", second));
        final String firstEntry = Files.readString(index).substring(0, Files.readString(index).indexOf("zip_data"));
        assertTrue(firstEntry.contains(second));
        final DatasetException ex = assertThrows(DatasetException.class, () -> DatasetFiles.of(dir, null));
        assertEquals(index, ex.file(), "the lengths the index gives no longer match");
    }

    @Test
    void refusesAnIndexWithoutItsBinAndOtherFilesAmongMegatronOnes() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse("megatron"), 10_000, 3);
        final Path stray = Files.write(dir.resolve("other.idx"), new byte[40]);
        DatasetException ex = assertThrows(DatasetException.class, () -> DatasetIndexer.index(dir, null, CHUNK));
        assertEquals(stray, ex.file());
        assertTrue(ex.getMessage().endsWith("no .bin of the same name beside it"), ex.getMessage());

        Files.delete(stray);
        final Path text = Files.writeString(dir.resolve("notes.txt"), "x");
        ex = assertThrows(DatasetException.class, () -> DatasetIndexer.index(dir, null, CHUNK));
        assertEquals(text, ex.file());
        assertTrue(ex.getMessage().contains("neither a .bin nor a .idx file"), ex.getMessage());
    }

    @Test
    void refusesAnMdsIndexNamingWhatIsNotAShard() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse("mds"), 10_000, 3);
        final Path index = dir.resolve("index.json");
        Files.writeString(index, Files.readString(index).replace("shard.00000.mds", DatasetIndexer.FORMAT_FILE_NAME));
        final DatasetException ex = assertThrows(DatasetException.class, () -> DatasetIndexer.index(dir, null, CHUNK));
        assertEquals(index, ex.file());
        assertTrue(ex.getMessage().contains("names stoker.format as a shard, which is not one"), ex.getMessage());
    }

    @Test
    void indexesAgainWhenTheMetadataChangedAfterTheManifest() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse("megatron"), 10_000, 3);
        final Path manifestFile = dir.resolve(Manifest.FILE_NAME);
        final Manifest manifest = DatasetIndexer.index(dir, null, CHUNK);
        manifest.write(manifestFile);
        final Manifest loaded = DatasetIndexer.loadOrIndex(dir, CHUNK);
        assertEquals(manifest, loaded, "positive control: the manifest is still good");

        // The first two documents become one: document index 1 is 0, so document 0 has no tokens.
        final Path index = dir.resolve(generated.shardNames().get(0).replace(".bin", ".idx"));
        final byte[] bytes = Files.readAllBytes(index);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final long sequences = buffer.getLong(18);
        buffer.putLong((int)(34 + 12 * sequences + 8), 0);
        Files.write(index, bytes);
        Files.setLastModifiedTime(index,
            FileTime.fromMillis(Files.getLastModifiedTime(manifestFile).toMillis() + 10_000));

        final Manifest again = DatasetIndexer.loadOrIndex(dir, CHUNK);
        assertNotEquals(manifest, again);
        assertEquals(manifest.totalRecords() - 1, again.totalRecords());
        assertEquals(manifest.totalBytes(), again.totalBytes());
    }

    @Test
    void keepsAnMdsManifestWhoseIndexIsOlder() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse("mds"), 10_000, 3);
        final Manifest manifest = DatasetIndexer.index(dir, null, CHUNK);
        manifest.write(dir.resolve(Manifest.FILE_NAME));
        Files.setLastModifiedTime(dir.resolve("index.json"), FileTime.fromMillis(0));
        final DatasetFiles files = DatasetFiles.of(dir, manifest.format());
        assertSame(manifest.format(), files.format());
        assertEquals(List.of(dir.resolve("shard.00000.mds")), files.shards());
        assertEquals(manifest, DatasetIndexer.loadOrIndex(dir, CHUNK));
    }
}
