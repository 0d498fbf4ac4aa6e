package io.stoker.dataset.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.stoker.dataset.format.Fixtures.describe;
import static io.stoker.dataset.format.Fixtures.fixture;
import static io.stoker.dataset.format.Fixtures.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Megatron-LM datasets written as Megatron-LM's {@code IndexedDatasetBuilder} writes them (fixtures from
 * {@code make_fixtures.py}): documents of one and two sequences and an empty one, 20 tokens in all, in {@code uint16}
 * and in {@code int32} with sequence modes. The index of {@code docs.idx}: 4 sequences, 5 document indices, so
 * lengths at 34, pointers at 50, document indices at 82, 122 bytes.
 */
class MegatronFormatTest
{
    private static final FormatSpec DOCUMENTS = FormatSpec.parse("megatron");
    private static final int LENGTHS = 34;
    private static final int POINTERS = 50;
    private static final int DOCUMENT_INDICES = 82;
    private static final int INDEX_BYTES = 122;

    @TempDir
    Path dir;

    @Test
    void findsTheDocumentsAndSamplesOfDatasetsWrittenAsMegatronWritesThem() throws Exception
    {
        for (final String name : new String[]{ "docs", "multimodal" })
        {
            final Path bin = fixture("megatron/" + name + ".bin");
            final List<long[]> documents = new ArrayList<>();
            for (final String line : Fixtures.lines("megatron/" + name + ".expected"))
            {
                final String[] fields = line.split(" ");
                if (fields[0].equals("doc"))
                {
                    documents.add(new long[]{ Long.parseLong(fields[1]), Long.parseLong(fields[2]), 1 });
                }
                else
                {
                    final int seq = Integer.parseInt(fields[1]);
                    final List<long[]> samples = new ArrayList<>();
                    for (long i = 0; i < Long.parseLong(fields[5]); i++)
                    {
                        samples.add(new long[]{ Long.parseLong(fields[2]) + i * Long.parseLong(fields[3]),
                            Long.parseLong(fields[4]), 1 });
                    }
                    assertEquals(describe(samples), describe(scan(FormatSpec.parse("megatron:seq:" + seq), bin)),
                        name + " seq:" + seq);
                }
            }

            assertEquals(3, documents.size(), "the empty document is no record");
            assertEquals(describe(documents), describe(scan(DOCUMENTS, bin)), name);
        }
    }

    @Test
    void takesTheDtypeFromTheIndex() throws Exception
    {
        try (ShardInput shard = new ShardInput(fixture("megatron/multimodal.bin")))
        {
            final FormatSpec found = RecordFormat.of(FormatSpec.parse("megatron:uint8:seq:3"))
                .scan(shard, (offset, length, count) -> {});
            assertEquals(FormatSpec.parse("megatron:int32:seq:3"), found);
            assertEquals("megatron:int32:seq:3", found.toString());
            assertEquals(12, found.recordStride());
            assertEquals(16, found.recordSize());
        }
    }

    @Test
    void refusesAnIndexThatIsNotOne() throws Exception
    {
        refused(index -> index.put(4, (byte)'X'), true, 4, "not a Megatron-LM index (.idx): bad magic");
        refused(index -> index.putLong(9, 2), true, 9, "unsupported Megatron index version 2, expected 1");
        refused(index -> index.put(17, (byte)9), true, 17, "unknown Megatron dtype code 9; known: 1 uint8");
        refused(index -> index.put(17, (byte)0), true, 17, "unknown Megatron dtype code 0");
        refused(index -> index.putLong(18, 1L << 40), true, 18, "sequence count 1099511627776 is more than");
        refused(index -> index.putLong(18, -1), true, 18, "sequence count 18446744073709551615 is more than");
        refused(index -> index.putLong(26, 0), true, 26, "document count 0");
    }

    @Test
    void refusesATruncatedIndexAtTheFieldItEndsIn() throws Exception
    {
        truncated(20, 0, "truncated Megatron index header");
        truncated(5, 0, "truncated Megatron index magic");
        truncated(LENGTHS + 10, LENGTHS, "truncated Megatron sequence lengths");
        truncated(POINTERS + 31, POINTERS, "truncated Megatron sequence pointers");
        truncated(INDEX_BYTES - 1, DOCUMENT_INDICES, "truncated Megatron document indices");
    }

    @Test
    void refusesSequencesThatDoNotTileTheBin() throws Exception
    {
        refused(index -> index.putLong(POINTERS + 16, 1000), true, POINTERS + 16,
            "sequence 2 starts at byte 1000, outside docs.bin of 40 bytes");
        refused(index -> index.putLong(POINTERS + 8, -2), true, POINTERS + 8, "sequence 1 starts at byte -2");
        refused(index -> index.putInt(LENGTHS + 12, 11), true, LENGTHS + 12,
            "sequence 3 of 11 elements (22 bytes) from byte 20 runs past the end of docs.bin (40 bytes)");
        refused(index -> index.putInt(LENGTHS + 4, -1), true, LENGTHS + 4, "sequence 1 has a negative length -1");
        refused(index -> index.putLong(POINTERS + 8, 8), true, POINTERS + 8,
            "sequence 1 starts at byte 8, expected 6 where sequence 0 ends");
        refused(index -> index.putLong(POINTERS, 2), true, POINTERS, "sequence 0 starts at byte 2, expected 0");
        refused(index -> index.putInt(LENGTHS + 12, 9), false, 38, "2 bytes after the last of the 4 sequences");
    }

    @Test
    void refusesDocumentIndicesThatDoNotRiseFromZeroToTheSequenceCount() throws Exception
    {
        refused(index -> index.putLong(DOCUMENT_INDICES, 1), true, DOCUMENT_INDICES, "first document index is 1");
        refused(index -> index.putLong(DOCUMENT_INDICES + 16, 0), true, DOCUMENT_INDICES + 16,
            "document index 2 is 0: document indices rise from 0 to the sequence count 4 (the one before is 1)");
        refused(index -> index.putLong(DOCUMENT_INDICES + 16, 5), true, DOCUMENT_INDICES + 16,
            "document index 2 is 5: document indices rise from 0 to the sequence count 4");
        refused(index -> index.putLong(DOCUMENT_INDICES + 32, 3), true, DOCUMENT_INDICES + 32,
            "last document index is 3, expected the sequence count 4");
    }

    @Test
    void refusesBytesAfterTheIndexThatAreNotSequenceModes() throws Exception
    {
        final Path bin = copy("docs", dir.resolve("modes"));
        final Path index = MegatronFormat.indexFile(bin);
        Files.write(index, Arrays.copyOf(Files.readAllBytes(index), INDEX_BYTES + 4));
        assertEquals(3, scan(DOCUMENTS, bin).size(), "4 sequence modes");

        Files.write(index, Arrays.copyOf(Files.readAllBytes(index), INDEX_BYTES + 3));
        assertRefused(bin, index, INDEX_BYTES, "3 bytes after the document indices: expected none, or 4");
    }

    @Test
    void refusesSamplesOf2GiB() throws Exception
    {
        final Path bin = copy("multimodal", dir);
        assertEquals(1, scan(FormatSpec.parse("megatron:uint8:seq:19"), bin).size());
        final DatasetException ex = assertThrows(DatasetException.class,
            () -> scan(FormatSpec.parse("megatron:uint8:seq:1000000000"), bin));
        assertEquals(17, ex.offset(), ex.getMessage());
        assertTrue(ex.getMessage().contains("records must be below 2 GiB"), ex.getMessage());
    }

    @Test
    void refusesABinWithoutItsIndex() throws Exception
    {
        final Path bin = copy("docs", dir);
        assertEquals(3, scan(DOCUMENTS, bin).size());
        Files.delete(MegatronFormat.indexFile(bin));
        final DatasetException ex = assertThrows(DatasetException.class, () -> scan(DOCUMENTS, bin));
        assertEquals(dir.resolve("docs.idx"), ex.file());
        assertTrue(ex.getMessage().contains("no such file"), ex.getMessage());
    }

    @Test
    void namesTheIndexOfABin()
    {
        assertEquals(Path.of("/d/a.idx"), MegatronFormat.indexFile(Path.of("/d/a.bin")));
        assertEquals(Path.of("/d/a.b.idx"), MegatronFormat.indexFile(Path.of("/d/a.b.BIN")));
        assertEquals(Path.of("/d/a.idx"), MegatronFormat.indexFile(Path.of("/d/a")));
    }

    private void truncated(final int length, final long offset, final String reason) throws Exception
    {
        final Path bin = copy("docs", dir.resolve("truncated-" + length));
        final Path index = MegatronFormat.indexFile(bin);
        assertEquals(3, scan(DOCUMENTS, bin).size(), "positive control");
        Files.write(index, Arrays.copyOf(Files.readAllBytes(index), length));
        assertRefused(bin, index, offset, reason);
    }

    /**
     * Copies {@code docs}, checks that it scans, changes its {@code .idx} and checks that the change is refused.
     */
    private void refused(
        final Consumer<ByteBuffer> change, final boolean inIndex, final long offset, final String reason)
        throws Exception
    {
        final Path bin = copy("docs", Files.createTempDirectory(dir, "case"));
        final Path index = MegatronFormat.indexFile(bin);
        assertEquals(3, scan(DOCUMENTS, bin).size(), "positive control");
        final byte[] bytes = Files.readAllBytes(index);
        change.accept(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        Files.write(index, bytes);
        assertRefused(bin, inIndex ? index : bin, offset, reason);
    }

    private static void assertRefused(final Path bin, final Path file, final long offset, final String reason)
    {
        for (final String spec : new String[]{ "megatron", "megatron:seq:3" })
        {
            final DatasetException ex = assertThrows(DatasetException.class, () -> scan(FormatSpec.parse(spec), bin));
            final String message = ex.getMessage();
            assertEquals(file, ex.file(), message);
            assertEquals(offset, ex.offset(), message);
            assertTrue(message.startsWith(file + ": offset " + offset + ": " + reason), message);
            assertFalse(message.contains("\n"), message);
        }
    }

    private static Path copy(final String name, final Path target) throws Exception
    {
        Files.createDirectories(target);
        Files.copy(fixture("megatron/" + name + ".idx"), target.resolve(name + ".idx"));
        return Files.copy(fixture("megatron/" + name + ".bin"), target.resolve(name + ".bin"));
    }
}
