package io.stoker.dataset;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    void truncatedMegatronIndex() throws Exception
    {
        final Path index = megatronIndex(megatronDataset());
        final long pointers = 34 + 4 * sequenceCount(index);
        truncate(index, pointers + 12);
        assertBadInput(index, pointers, "truncated Megatron sequence pointers: needs",
            () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void megatronIndexWithAWrongMagic() throws Exception
    {
        final Path index = megatronIndex(megatronDataset());
        flipByte(index, 2);
        assertBadInput(index, 2, "not a Megatron-LM index (.idx): bad magic",
            () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void megatronIndexWithAnUnknownDtypeCode() throws Exception
    {
        final Path index = megatronIndex(megatronDataset());
        overwrite(index, 17, (byte)42);
        assertBadInput(index, 17, "unknown Megatron dtype code 42; known: 1 uint8, 2 int8",
            () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void megatronPointerPastTheBin() throws Exception
    {
        final GeneratedDataset generated = megatronDataset();
        final Path index = megatronIndex(generated);
        final long pointer = 34 + 4 * sequenceCount(index) + 3 * 8;
        final long binLength = Files.size(dir.resolve(generated.shardNames().get(1)));
        final byte[] bytes = Files.readAllBytes(index);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong((int)pointer, binLength + 1);
        Files.write(index, bytes);
        assertBadInput(index, pointer, "sequence 3 starts at byte " + (binLength + 1) + ", outside shard-00001.bin",
            () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void megatronBinWithoutItsIndex() throws Exception
    {
        final GeneratedDataset generated = megatronDataset();
        Files.delete(megatronIndex(generated));
        assertBadInput(dir.resolve("shard-00001.bin"), -1, "no shard-00001.idx beside it",
            () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void mdsOffsetsOutOfOrder() throws Exception
    {
        final Path shard = dir.resolve(mdsDataset().shardNames().get(1));
        final byte[] bytes = Files.readAllBytes(shard);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int start = buffer.getInt(8);
        buffer.putInt(12, start - 1);
        Files.write(shard, bytes);
        assertBadInput(shard, 12, "MDS sample 1 ends at byte " + (start - 1) + ", not after its start " + start,
            () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void mdsOffsetPastTheFile() throws Exception
    {
        final Path shard = dir.resolve(mdsDataset().shardNames().get(1));
        final byte[] bytes = Files.readAllBytes(shard);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int samples = buffer.getInt(0);
        buffer.putInt(4 * (samples + 1), bytes.length + 8);
        Files.write(shard, bytes);
        assertBadInput(shard, 4 * (samples + 1), "MDS sample " + (samples - 1) + " ends at byte " +
            (bytes.length + 8) + ", past the end of the file", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void mdsCompressedShard() throws Exception
    {
        mdsDataset();
        final Path index = dir.resolve("index.json");
        final String text = Files.readString(index).replaceFirst("\"zip_data\":null",
            "\"zip_data\":{\"basename\":\"shard.00000.mds.zstd\",\"bytes\":100,\"hashes\":{}}");
        Files.writeString(index, text);
        assertBadInput(index, text.indexOf("{\"basename\":\"shard.00000.mds.zstd"),
            "MDS index: shard 0 (shard.00000.mds) is compressed (zip_data is not null)",
            () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void mdsIndexNamingAMissingShard() throws Exception
    {
        mdsDataset();
        Files.delete(dir.resolve("shard.00001.mds"));
        final Path index = dir.resolve("index.json");
        assertBadInput(index, Files.readString(index).indexOf("\"shard.00001.mds\""),
            "names shard shard.00001.mds, which is missing from " + dir, () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void mdsIndexDisagreeingWithAShard() throws Exception
    {
        final GeneratedDataset generated = mdsDataset();
        final Path index = dir.resolve("index.json");
        final String text = Files.readString(index);
        final int at = text.indexOf("\"samples\":") + "\"samples\":".length();
        final int end = text.indexOf(',', at);
        final long written = Long.parseLong(text.substring(at, end));
        Files.writeString(index, text.substring(0, at) + (written + 1) + text.substring(end));
        assertTrue(generated.recordCount() > written);
        assertBadInput(index, at, "says shard.00000.mds holds " + (written + 1) + " samples, it holds " + written,
            () -> DatasetIndexer.index(dir, null, CHUNK));

        Files.writeString(index, text);
        Files.write(dir.resolve("shard.00000.mds"), new byte[3], StandardOpenOption.APPEND);
        final int bytes = text.indexOf("\"bytes\":") + "\"bytes\":".length();
        assertBadInput(index, bytes, "says shard.00000.mds has", () -> DatasetIndexer.index(dir, null, CHUNK));
    }

    @Test
    void fileThatIndexJsonDoesNotList() throws Exception
    {
        mdsDataset();
        final Path stray = Files.write(dir.resolve("shard.00009.mds"), new byte[8]);
        assertBadInput(stray, -1, "not a shard index.json lists", () -> DatasetIndexer.index(dir, null, CHUNK));
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

    /**
     * Several shards of Megatron-LM documents, which index, the positive control of the refusals that follow.
     */
    private GeneratedDataset megatronDataset()
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse("megatron"), 60_000, 1,
            20_000);
        assertTrue(generated.shardNames().size() >= 3);
        assertEquals(generated.recordCount(), DatasetIndexer.index(dir, null, CHUNK).totalRecords());
        return generated;
    }

    /**
     * Several MDS shards, which index, the positive control of the refusals that follow.
     */
    private GeneratedDataset mdsDataset()
    {
        final GeneratedDataset generated = DatasetGenerator.generate(dir, FormatSpec.parse("mds:2000"), 60_000, 1,
            20_000);
        assertTrue(generated.shardNames().size() >= 3);
        assertEquals(generated.recordCount(), DatasetIndexer.index(dir, null, CHUNK).totalRecords());
        return generated;
    }

    private Path megatronIndex(final GeneratedDataset generated)
    {
        return dir.resolve(generated.shardNames().get(1).replace(".bin", ".idx"));
    }

    private static long sequenceCount(final Path index) throws Exception
    {
        return ByteBuffer.wrap(Files.readAllBytes(index)).order(ByteOrder.LITTLE_ENDIAN).getLong(18);
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
