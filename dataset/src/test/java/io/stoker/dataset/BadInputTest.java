package io.stoker.dataset;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad datasets through the indexer: each is a {@link DatasetException} whose one-line message names the file and,
 * where one applies, the byte offset of the problem.
 */
class BadInputTest
{
    private static final int CHUNK = DatasetIndexer.MIN_CHUNK_SIZE;

    @TempDir
    Path dir;

    @Test
    void truncatedFixedRecord() throws Exception
    {
        final Path file = dir.resolve("data.bin");
        Files.write(file, new byte[3 * 4096 + 100]);
        assertBadInput(
            file, 3 * 4096, "partial record", () -> DatasetIndexer.index(dir, FormatSpec.fixed(4096), CHUNK));
    }

    @Test
    void tfrecordWithABadLengthCrc() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.tfrecord(1000), 50_000, 1);
        final long record = generated.recordOffset(5);
        final Path file = shard(generated, 5);
        flipByte(file, record + Long.BYTES + 1);
        assertBadInput(file, record, "length CRC mismatch", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void tfrecordWithABadLength() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.tfrecord(1000), 50_000, 1);
        final long record = generated.recordOffset(7);
        final Path file = shard(generated, 7);
        flipByte(file, record + 1);
        assertBadInput(file, record, "length CRC mismatch", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void tfrecordWithABadDataCrc() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.tfrecord(1000), 50_000, 1);
        final long record = generated.recordOffset(9);
        final Path file = shard(generated, 9);
        flipByte(file, record + 12 + 100);
        assertBadInput(file, record, "data CRC mismatch", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void truncatedTfrecord() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.tfrecord(1000), 50_000, 1);
        final long record = generated.recordOffset(generated.recordCount() - 1);
        final Path file = shard(generated, generated.recordCount() - 1);
        truncate(file, record + 30);
        assertBadInput(file, record, "truncated TFRecord", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void npyWithCorruptMagic() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse("npy:<u2:100"), 50_000, 1);
        final Path file = shard(generated, 0);
        flipByte(file, 4);
        assertBadInput(file, 4, "not a .npy file", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void npyWithABadHeaderDict() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse("npy:<u2:100"), 50_000, 1);
        final Path file = shard(generated, 0);
        final String header = "{'descr': '<u2', 'fortran_order': False, 'shape': (250, 100), }";
        final long brace = 10 + header.indexOf("'shape'") - 2;
        overwrite(file, brace, (byte)';');
        assertBadInput(file, brace, "bad .npy header", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void npyDataShorterThanItsShape() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse("npy:<u2:100"), 50_000, 1);
        final Path file = shard(generated, 0);
        final long last = generated.recordOffset(generated.recordCount() - 1);
        truncate(file, Files.size(file) - 7);
        assertBadInput(file, last, "short of what the shape says", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void tarWithABadHeaderChecksum() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.webdataset(5000), 100_000, 1);
        final long sample = generated.recordOffset(3);
        final Path file = shard(generated, 3);
        flipByte(file, sample + 20);
        assertBadInput(file, sample, "bad tar header checksum", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void truncatedTarMember() throws Exception
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.webdataset(5000), 100_000, 1);
        final long sample = generated.recordOffset(3);
        final Path file = shard(generated, 3);
        truncate(file, sample + 512 + 10);
        assertBadInput(file, sample, "truncated tar member", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void mixedFormatsInOneDirectory() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.parse("npy:<u2:100"), 50_000, 1);
        Files.delete(dir.resolve(DatasetIndexer.FORMAT_FILE_NAME));
        final Path odd = dir.resolve("shard-00000.tfrecord");
        Files.write(odd, new byte[0]);
        assertBadInput(odd, -1, "a dataset has one format", () -> DatasetIndexer.index(dir, null, CHUNK));
        assertBadInput(odd, -1, "a dataset has one format",
            () -> DatasetIndexer.index(dir, FormatSpec.parse("npy"), CHUNK));
    }

    @Test
    void npyFilesOfDifferentLayouts() throws Exception
    {
        final Path first = dir.resolve("a");
        final Path second = dir.resolve("b");
        final Path mixed = Files.createDirectory(dir.resolve("mixed"));
        DatasetGenerator.generate(first, FormatSpec.parse("npy:<u2:100"), 10_000, 1);
        DatasetGenerator.generate(second, FormatSpec.parse("npy:<u2:101"), 10_000, 1);
        Files.copy(first.resolve("shard-00000.npy"), mixed.resolve("1.npy"));
        final Path odd = mixed.resolve("2.npy");
        Files.copy(second.resolve("shard-00000.npy"), odd);
        assertBadInput(odd, -1, "a dataset has one record layout", () -> DatasetIndexer.index(mixed, null, CHUNK));
    }

    @Test
    void directoryWhereAShardShouldBe() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 10_000, 1);
        final Path odd = Files.createDirectory(dir.resolve("shard-00001.bin"));
        assertBadInput(odd, -1, "a directory", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void danglingSymbolicLink() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 10_000, 1);
        final Path odd = Files.createSymbolicLink(dir.resolve("shard-00001.bin"), dir.resolve("missing.bin"));
        assertBadInput(odd, -1, "dangling symbolic link", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void rawFilesWithoutARecordSize() throws Exception
    {
        final Path file = dir.resolve("data.bin");
        Files.write(file, new byte[4096]);
        assertBadInput(file, -1, "pass --format fixed:N", () -> DatasetIndexer.index(dir, null, CHUNK));
        assertEquals(1, DatasetIndexer.index(dir, FormatSpec.fixed(4096), CHUNK).totalRecords());
    }

    @Test
    void unknownExtensionWithoutAFormat() throws Exception
    {
        final Path file = dir.resolve("data.csv");
        Files.write(file, new byte[4096]);
        assertBadInput(file, -1, "unknown file extension", () -> DatasetIndexer.index(dir, null, CHUNK));
        assertEquals(4, DatasetIndexer.index(dir, FormatSpec.fixed(1024), CHUNK).totalRecords());
    }

    @Test
    void badFormatFile() throws Exception
    {
        Files.write(dir.resolve("data.bin"), new byte[4096]);
        final Path formatFile = dir.resolve(DatasetIndexer.FORMAT_FILE_NAME);
        Files.writeString(formatFile, "fixed:lots\n");
        assertBadInput(formatFile, -1, "bad format 'fixed:lots", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void emptyOrMissingDirectory() throws Exception
    {
        assertBadInput(dir, -1, "no shard files", () -> DatasetIndexer.index(dir, FormatSpec.fixed(16), CHUNK));
        final Path missing = dir.resolve("missing");
        assertBadInput(missing, -1, "no such directory", () -> DatasetIndexer.index(missing, null, CHUNK));
        Files.write(dir.resolve("empty.bin"), new byte[0]);
        assertBadInput(dir, -1, "no records", () -> DatasetIndexer.index(dir, FormatSpec.fixed(16), CHUNK));
    }

    @Test
    void chunkSizeOutOfRange()
    {
        assertThrows(IllegalArgumentException.class, () -> DatasetIndexer.index(dir, null, 64 * 1024 - 1));
        assertThrows(IllegalArgumentException.class, () -> DatasetIndexer.index(dir, null, (64 << 20) + 1));
        assertThrows(IllegalArgumentException.class, () -> DatasetIndexer.loadOrIndex(dir, 0));
    }

    private static void assertBadInput(
        final Path file, final long offset, final String reason, final Executable executable)
    {
        final DatasetException ex = assertThrows(DatasetException.class, executable);
        final String message = ex.getMessage();
        assertEquals(file, ex.file(), message);
        assertEquals(offset, ex.offset(), message);
        assertTrue(message.startsWith(offset < 0 ? file + ": " : file + ": offset " + offset + ": "), message);
        assertTrue(message.contains(reason), message);
        assertFalse(message.contains("\n"), message);
        if (offset < 0)
        {
            assertFalse(message.contains(": offset "), message);
        }
        assertNull(null == ex.getCause() ? null : ex.getCause().getCause());
    }

    private Path shard(final GeneratedDataset generated, final long record)
    {
        return dir.resolve(generated.recordShard(record));
    }

    private static void flipByte(final Path file, final long position) throws Exception
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(position);
            final int value = raf.read();
            raf.seek(position);
            raf.write(value ^ 0x40);
        }
    }

    private static void overwrite(final Path file, final long position, final byte value) throws Exception
    {
        final byte[] bytes = Files.readAllBytes(file);
        bytes[(int)position] = value;
        Files.write(file, bytes);
    }

    private static void truncate(final Path file, final long length) throws Exception
    {
        Files.write(file, Arrays.copyOf(Files.readAllBytes(file), (int)length));
    }
}
