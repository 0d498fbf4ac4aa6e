package io.stoker.dataset;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetGeneratorTest
{
    @TempDir
    Path dir;

    @Test
    void createsTheDirectoryAndWritesTheFormatFile() throws Exception
    {
        final Path target = dir.resolve("a/b");
        final GeneratedDataset generated = DatasetGenerator.generate(target, FormatSpec.parse("npy:<u2:10"), 1000, 1);
        assertEquals(target, generated.dir());
        assertEquals(FormatSpec.parse("npy:<u2:10"), generated.format());
        assertEquals("npy:<u2:10\n", Files.readString(target.resolve(DatasetIndexer.FORMAT_FILE_NAME)));
        assertEquals(50, generated.recordCount());
        assertEquals(1000, generated.totalBytes());
    }

    @Test
    void writesWholeRecordsWithinTheSizesAndAtLeastOne()
    {
        final GeneratedDataset tiny = DatasetGenerator.generate(dir, FormatSpec.fixed(4096), 100, 1);
        assertEquals(1, tiny.recordCount());

        final GeneratedDataset sharded = DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 10_500, 1, 3_500);
        assertEquals(10, sharded.recordCount());
        assertEquals(4, sharded.shardNames().size(), "3, 3, 3 and 1 records");
        assertEquals("shard-00003.bin", sharded.recordShard(9));
        assertEquals(0, sharded.recordOffset(9));
        assertEquals(2000, sharded.recordOffset(8));

        final GeneratedDataset variable = DatasetGenerator.generate(dir, FormatSpec.tfrecord(1000), 100_000, 1, 30_000);
        assertTrue(variable.totalBytes() <= 100_000 && variable.totalBytes() > 100_000 - 1516);
        assertEquals(4, variable.shardNames().size());
    }

    @Test
    void replacesADatasetGeneratedBefore() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 10_000, 1, 2000);
        DatasetIndexer.index(dir, null, DatasetIndexer.MIN_CHUNK_SIZE).write(dir.resolve(Manifest.FILE_NAME));

        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.tfrecord(100), 1000, 1);
        assertEquals(1, generated.shardNames().size());
        try (var files = Files.list(dir))
        {
            assertEquals(2, files.count(), "one shard and the format file");
        }
        assertEquals(FormatSpec.tfrecord(100), DatasetIndexer.index(dir, null, 1 << 20).format());
    }

    @Test
    void replacesMegatronAndMdsDatasetsWithTheirMetadata() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse("megatron"), 10_000, 1, 4_000);
        assertTrue(Files.exists(dir.resolve("shard-00001.idx")));
        DatasetGenerator.generate(dir, FormatSpec.parse("mds"), 10_000, 1, 4_000);
        assertFalse(Files.exists(dir.resolve("shard-00001.idx")));
        assertTrue(Files.exists(dir.resolve("index.json")));
        DatasetGenerator.generate(dir, FormatSpec.parse("tfrecord"), 1_000, 1);
        try (var files = Files.list(dir))
        {
            assertEquals(2, files.count(), "one shard and the format file");
        }
    }

    @Test
    void refusesADirectoryHoldingSomethingElse() throws Exception
    {
        final Path precious = Files.writeString(dir.resolve("thesis.tex"), "years of work");
        final DatasetException ex = assertThrows(DatasetException.class,
            () -> DatasetGenerator.generate(dir, FormatSpec.fixed(16), 1000, 1));
        assertEquals(dir, ex.file());
        assertTrue(ex.getMessage().contains("not empty and not a generated Stoker dataset"), ex.getMessage());

        Files.writeString(dir.resolve(DatasetIndexer.FORMAT_FILE_NAME), "fixed:16\n");
        final DatasetException stranger = assertThrows(DatasetException.class,
            () -> DatasetGenerator.generate(dir, FormatSpec.fixed(16), 1000, 1));
        assertEquals(precious, stranger.file());
        assertEquals("years of work", Files.readString(precious));
        assertFalse(Files.exists(dir.resolve("shard-00000.bin")));
    }

    @Test
    void refusesASizeBeyondTheFreeSpaceBeforeWritingAnything() throws Exception
    {
        final Path target = dir.resolve("new/data");
        final long tooMuch = Files.getFileStore(dir).getUsableSpace() + (1L << 30);
        final DatasetException refused = assertThrows(DatasetException.class,
            () -> DatasetGenerator.generate(target, FormatSpec.fixed(4096), tooMuch, 1));
        assertEquals(target, refused.file());
        assertTrue(refused.getMessage().startsWith(target + ": no room for " + Sizes.format(tooMuch) + " of records: "),
            refused.getMessage());
        assertTrue(refused.getMessage().contains(" free on the file system of " + dir), refused.getMessage());
        assertFalse(Files.exists(dir.resolve("new")), "nothing created");

        final GeneratedDataset old = DatasetGenerator.generate(target, FormatSpec.fixed(4096), 64 << 10, 1);
        assertEquals(16, old.recordCount());
        final byte[] shard = Files.readAllBytes(target.resolve("shard-00000.bin"));
        assertThrows(
            DatasetException.class, () -> DatasetGenerator.generate(target, FormatSpec.fixed(4096), tooMuch, 1));
        assertArrayEquals(shard, Files.readAllBytes(target.resolve("shard-00000.bin")), "the old dataset is kept");
    }

    @Test
    void refusesNonsense()
    {
        assertThrows(IllegalArgumentException.class, () -> DatasetGenerator.generate(dir, FormatSpec.fixed(16), 0, 1));
        assertThrows(IllegalArgumentException.class,
            () -> DatasetGenerator.generate(dir, FormatSpec.fixed(16), 100, 1, 0));
    }
}
