package io.stoker.dataset.format;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.stoker.dataset.DatasetException;

/**
 * Reads the {@code .idx} of a Megatron-LM indexed dataset and checks it against its {@code .bin}, as written by
 * Megatron-LM's {@code _IndexWriter} ({@code megatron/core/datasets/indexed_dataset.py}), little-endian:
 * <pre>
 *   offset  0  magic "MMIDIDX\0\0"
 *   offset  9  u64 version, 1
 *   offset 17  u8 dtype code, see {@link MegatronDtype}
 *   offset 18  u64 sequence count S
 *   offset 26  u64 document count D: the number of document indices, one more than the documents
 *   offset 34  int32[S] sequence lengths, in elements
 *              int64[S] sequence pointers, byte offsets into the .bin
 *              int64[D] document indices: 0, then the index of the sequence after each document's last, ending with S
 *              int8[S]  sequence modes, only in multimodal datasets (accepted, not used)
 * </pre>
 * Every field is checked: sequences must follow each other in the {@code .bin} from its start to its end, lengths
 * must not be negative, document indices must rise from 0 to S, and the file must end after the document indices or
 * the modes. Anything else is a {@link DatasetException} naming the file and the offset of the field at fault.
 * <p>
 * Nothing is held in memory per sequence or document: the arrays are read through mapped windows as they are walked.
 */
final class MegatronIndex
{
    /**
     * Receives the documents in order.
     */
    @FunctionalInterface
    interface DocumentSink
    {
        /**
         * A document: its sequences' bytes in the {@code .bin}, {@code start} to {@code end}; empty when it has no
         * tokens.
         *
         * @param start       byte offset of its first token in the {@code .bin}.
         * @param end         byte offset after its last token.
         * @param indexOffset offset in the {@code .idx} of the document index that starts it.
         */
        void onDocument(long start, long end, long indexOffset);
    }

    static final int VERSION_OFFSET = 9;
    static final int DTYPE_OFFSET = 17;
    static final int SEQUENCE_COUNT_OFFSET = 18;
    static final int DOCUMENT_COUNT_OFFSET = 26;
    static final int HEADER_BYTES = 34;
    static final long VERSION = 1;
    static final byte[] MAGIC = "MMIDIDX\0\0".getBytes(StandardCharsets.US_ASCII);

    private MegatronIndex()
    {
    }

    /**
     * Reads and checks an {@code .idx}, reporting each document to the sink.
     *
     * @param indexFile the {@code .idx}.
     * @param binFile   the {@code .bin} it describes.
     * @param binLength length of the {@code .bin}.
     * @param sink      receives the documents in order once the header and sequences are checked; a bad document
     *                  index stops them where it is.
     * @return the element type the header gives.
     * @throws DatasetException naming the {@code .idx} (or the {@code .bin}, for bytes after the last sequence) and
     *                          the offset of what is wrong.
     */
    static MegatronDtype read(final Path indexFile, final Path binFile, final long binLength, final DocumentSink sink)
    {
        try (ShardInput lengths = new ShardInput(indexFile); ShardInput pointers = new ShardInput(indexFile))
        {
            final long fileLength = lengths.length();
            lengths.requireMagic(MAGIC, "Megatron index magic",
                "not a Megatron-LM index (.idx): bad magic (expected MMIDIDX\\x00\\x00)");
            lengths.require(0, HEADER_BYTES, "Megatron index header");
            final int header = lengths.map(0, HEADER_BYTES);
            final long version = lengths.buffer().getLong(header + VERSION_OFFSET);
            if (version != VERSION)
            {
                throw new DatasetException(indexFile, VERSION_OFFSET,
                    "unsupported Megatron index version " + Long.toUnsignedString(version) + ", expected 1");
            }

            final int code = lengths.buffer().get(header + DTYPE_OFFSET) & 0xFF;
            final MegatronDtype dtype = MegatronDtype.ofCode(code);
            if (null == dtype)
            {
                throw new DatasetException(indexFile, DTYPE_OFFSET,
                    "unknown Megatron dtype code " + code + "; known: " + MegatronDtype.describe(true));
            }

            final long sequences = count(lengths, header, SEQUENCE_COUNT_OFFSET, "sequence", fileLength);
            final long documents = count(lengths, header, DOCUMENT_COUNT_OFFSET, "document index", fileLength);
            if (documents < 1)
            {
                throw new DatasetException(indexFile, DOCUMENT_COUNT_OFFSET,
                    "document count 0: the document indices start with 0, so there is at least one");
            }

            final long pointersStart = HEADER_BYTES + Integer.BYTES * sequences;
            final long documentsStart = pointersStart + Long.BYTES * sequences;
            final long modesStart = documentsStart + Long.BYTES * documents;
            lengths.require(HEADER_BYTES, Integer.BYTES * sequences, "Megatron sequence lengths");
            lengths.require(pointersStart, Long.BYTES * sequences, "Megatron sequence pointers");
            lengths.require(documentsStart, Long.BYTES * documents, "Megatron document indices");
            final long trailing = fileLength - modesStart;
            if (trailing != 0 && trailing != sequences)
            {
                throw new DatasetException(indexFile, modesStart, trailing + " bytes after the document indices: " +
                    "expected none, or " + sequences + " sequence modes (one byte per sequence)");
            }

            checkSequences(indexFile, binFile, binLength, dtype.itemSize(), sequences, lengths, pointers);
            readDocuments(indexFile, binLength, sequences, documents, lengths, pointers, sink);
            return dtype;
        }
    }

    private static long count(
        final ShardInput index, final int header, final int offset, final String what, final long fileLength)
    {
        final long count = index.buffer().getLong(header + offset);
        if (count < 0 || count > fileLength)
        {
            throw new DatasetException(index.file(), offset, what + " count " + Long.toUnsignedString(count) +
                " is more than a file of " + fileLength + " bytes holds");
        }

        return count;
    }

    /**
     * Sequence i's bytes must start where sequence i - 1's end, the first at 0, and the last end at the end of the
     * {@code .bin}.
     */
    private static void checkSequences(
        final Path indexFile,
        final Path binFile,
        final long binLength,
        final int itemSize,
        final long sequences,
        final ShardInput lengths,
        final ShardInput pointers)
    {
        final long pointersStart = HEADER_BYTES + Integer.BYTES * sequences;
        long expected = 0;
        for (long i = 0; i < sequences; i++)
        {
            final long lengthAt = HEADER_BYTES + Integer.BYTES * i;
            final long pointerAt = pointersStart + Long.BYTES * i;
            final int length = readInt(lengths, lengthAt);
            final long pointer = readLong(pointers, pointerAt);
            if (length < 0)
            {
                throw new DatasetException(indexFile, lengthAt, "sequence " + i + " has a negative length " + length);
            }

            if (pointer < 0 || pointer > binLength)
            {
                throw new DatasetException(indexFile, pointerAt, "sequence " + i + " starts at byte " + pointer +
                    ", outside " + binFile.getFileName() + " of " + binLength + " bytes");
            }

            final long bytes = (long)length * itemSize;
            if (bytes > binLength - pointer)
            {
                throw new DatasetException(indexFile, lengthAt, "sequence " + i + " of " + length + " elements (" +
                    bytes + " bytes) from byte " + pointer + " runs past the end of " + binFile.getFileName() +
                    " (" + binLength + " bytes)");
            }

            if (pointer != expected)
            {
                throw new DatasetException(indexFile, pointerAt, "sequence " + i + " starts at byte " + pointer +
                    ", expected " + expected + (i == 0 ? "" : " where sequence " + (i - 1) + " ends") +
                    ": sequences follow each other in the .bin");
            }

            expected += bytes;
        }

        if (expected != binLength)
        {
            throw new DatasetException(binFile, expected, (binLength - expected) + " bytes after the last of the " +
                sequences + " sequences " + indexFile.getFileName() + " lists");
        }
    }

    /**
     * Document k runs from the pointer of sequence index[k] to that of sequence index[k + 1] (or the end of the
     * {@code .bin} where that is S).
     */
    private static void readDocuments(
        final Path indexFile,
        final long binLength,
        final long sequences,
        final long documents,
        final ShardInput indices,
        final ShardInput pointers,
        final DocumentSink sink)
    {
        final long pointersStart = HEADER_BYTES + Integer.BYTES * sequences;
        final long documentsStart = pointersStart + Long.BYTES * sequences;
        long previous = 0;
        long start = 0;
        for (long k = 0; k < documents; k++)
        {
            final long at = documentsStart + Long.BYTES * k;
            final long first = readLong(indices, at);
            if (k == 0 && first != 0)
            {
                throw new DatasetException(indexFile, at, "first document index is " + first + ", expected 0");
            }

            if (first < previous || first > sequences)
            {
                throw new DatasetException(indexFile, at, "document index " + k + " is " + first +
                    ": document indices rise from 0 to the sequence count " + sequences + " (the one before is " +
                    previous + ")");
            }

            if (k == documents - 1 && first != sequences)
            {
                throw new DatasetException(indexFile, at, "last document index is " + first +
                    ", expected the sequence count " + sequences);
            }

            if (k > 0)
            {
                final long end =
                    first == sequences ? binLength : readLong(pointers, pointersStart + Long.BYTES * first);
                sink.onDocument(start, end, at - Long.BYTES);
                start = end;
            }

            previous = first;
        }
    }

    private static int readInt(final ShardInput input, final long offset)
    {
        final int index = input.map(offset, Integer.BYTES);
        return input.buffer().getInt(index);
    }

    private static long readLong(final ShardInput input, final long offset)
    {
        final int index = input.map(offset, Long.BYTES);
        return input.buffer().getLong(index);
    }
}
