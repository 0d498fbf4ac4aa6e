package io.stoker.coordinator;

import io.stoker.dataset.Crc32c;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Reads a journal file back at start-up: finds where its whole records end, cuts off a torn last record
 * (a write the process did not finish before it died), and replays records from a position.
 * <p>
 * A record that does not check (length or CRC32C) is torn only when no whole record follows it: a write
 * cut short leaves nothing behind it. A bad record with a good one after it is damage in the middle of
 * the file, which no crash makes; the file is then refused, naming it and the offset, rather than
 * dropping acknowledgements that were durable and counted.
 */
final class JournalFile
{
    static final String FILE_NAME = "coordinator.journal";

    private final Path file;
    private final byte[] bytes;
    private final int wholeLength;

    private JournalFile(final Path file, final byte[] bytes, final int wholeLength)
    {
        this.file = file;
        this.bytes = bytes;
        this.wholeLength = wholeLength;
    }

    /**
     * Read a journal file and cut off a torn last record; a missing file is an empty journal.
     *
     * @param logger told when a torn record is cut off.
     * @return the journal's whole records.
     * @throws UncheckedIOException naming the file and offset when the file is damaged before its end.
     */
    static JournalFile recover(final Path file, final Consumer<String> logger)
    {
        try
        {
            if (!Files.exists(file))
            {
                return new JournalFile(file, new byte[0], 0);
            }
            final byte[] bytes = Files.readAllBytes(file);
            final int whole = wholeLength(bytes);
            if (whole < bytes.length)
            {
                for (int offset = whole + JournalRecord.FRAMED_LENGTH; offset + JournalRecord.FRAMED_LENGTH <=
                    bytes.length; offset += JournalRecord.FRAMED_LENGTH)
                {
                    if (isWhole(bytes, offset))
                    {
                        throw new IOException("damaged record at offset " + whole + " with whole records after it " +
                            "(at " + offset + "): not a torn write; move the file away to start the job afresh");
                    }
                }
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
                {
                    channel.truncate(whole);
                    channel.force(true);
                }
                logger.accept("coordinator: " + file + ": cut off a torn last record at offset " + whole + " (" +
                    (bytes.length - whole) + " bytes)");
            }
            return new JournalFile(file, bytes, whole);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot read the journal: " + ex.getMessage(), ex);
        }
    }

    /**
     * @return where the whole records end: the position the journal continues at.
     */
    long length()
    {
        return wholeLength;
    }

    /**
     * Hand every record from {@code position} on to the handler, as replayed.
     *
     * @throws UncheckedIOException when the position is not a record boundary of this file.
     */
    void replay(final long position, final JournalRecord.Handler handler)
    {
        if (position < 0 || position > wholeLength || position % JournalRecord.FRAMED_LENGTH != 0)
        {
            throw new UncheckedIOException(new IOException(file + ": the checkpoint covers the journal up to offset " +
                position + ", but its whole records end at " + wholeLength));
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int offset = (int)position; offset < wholeLength; offset += JournalRecord.FRAMED_LENGTH)
        {
            handler.onRecord(buffer, offset + Integer.BYTES, true);
        }
    }

    /**
     * Frame a payload for the file: length, payload, CRC32C of both.
     *
     * @param crc reused, so that framing allocates nothing.
     */
    static void frame(final ByteBuffer out, final DirectBuffer payload, final int offset, final CRC32C crc)
    {
        final int start = out.position();
        out.order(JournalRecord.ORDER).putInt(JournalRecord.FRAMED_LENGTH);
        for (int i = 0; i < JournalRecord.PAYLOAD_LENGTH; i++)
        {
            out.put(payload.getByte(offset + i));
        }
        crc.reset();
        crc.update(out.slice(start, Integer.BYTES + JournalRecord.PAYLOAD_LENGTH));
        out.putInt((int)crc.getValue());
    }

    private static int wholeLength(final byte[] bytes)
    {
        int offset = 0;
        while (offset + JournalRecord.FRAMED_LENGTH <= bytes.length && isWhole(bytes, offset))
        {
            offset += JournalRecord.FRAMED_LENGTH;
        }
        return offset;
    }

    private static boolean isWhole(final byte[] bytes, final int offset)
    {
        final ByteBuffer record = ByteBuffer.wrap(bytes).order(JournalRecord.ORDER);
        if (record.getInt(offset) != JournalRecord.FRAMED_LENGTH)
        {
            return false;
        }
        final byte[] framed = new byte[Integer.BYTES + JournalRecord.PAYLOAD_LENGTH];
        System.arraycopy(bytes, offset, framed, 0, framed.length);
        return Crc32c.of(framed) == record.getInt(offset + framed.length);
    }
}
