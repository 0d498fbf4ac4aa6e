package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * The journal's writer, on its own thread so that no fsync stalls the coordinator's duty cycle: takes the
 * records the coordinator offered to a ring buffer, appends them to the journal file in one write, fsyncs
 * them as a group, and only then publishes the durable position and appends their lines to the ack log
 * (which is thus derived from the journal: it never holds a line the journal lost, and at start-up it is
 * written anew from the journal, so a line lost with a crash between the two is back). Writes the
 * checkpoints the coordinator encoded, too.
 * <p>
 * Without a checkpoint directory there is no journal file: records are durable as soon as they are taken
 * (nothing would read them back), and the ack log is appended to as before.
 * <p>
 * A write that fails is reported once through the error handler and counted; the journal then stops, so
 * the coordinator counts nothing more (it counts only what is durable) rather than counting what a restart
 * would not know.
 */
public final class JournalAgent implements Agent
{
    private static final int RECORDS_PER_WRITE = 4096;

    private final OneToOneRingBuffer ring;
    private final FileChannel journal;
    private final CheckpointStore checkpoints;
    private final BufferedWriter ackLog;
    private final Path ackLogFile;
    private final ErrorHandler errorHandler;
    private final AtomicCounter errors;
    private final ByteBuffer batch = ByteBuffer.allocateDirect(RECORDS_PER_WRITE * JournalRecord.FRAMED_LENGTH);
    private final List<String> ackLines = new ArrayList<>();
    private final CRC32C crc = new CRC32C();
    private final MessageHandler onRecord = this::onRecord;
    private final AtomicReference<Snapshot> pendingSnapshot = new AtomicReference<>();
    private final AtomicReference<byte[]> pendingMembers = new AtomicReference<>();
    private volatile long durablePosition;
    private volatile long checkpointsWritten;
    private long position;
    private boolean failed;

    /**
     * A checkpoint for the journal agent to write.
     *
     * @param sequence which checkpoint it is: {@link #checkpointsWritten()} reaches it once written.
     * @param bytes    from {@link CheckpointStore#encode}.
     * @param manifests the jobs' datasets, each written beside the first checkpoint of it.
     */
    record Snapshot(long sequence, byte[] bytes, List<Manifest> manifests)
    {
    }

    JournalAgent(
        final OneToOneRingBuffer ring,
        final Path journalFile,
        final JournalFile recovered,
        final CheckpointStore checkpoints,
        final Path ackLogFile,
        final ErrorHandler errorHandler,
        final AtomicCounter errors)
    {
        this.ring = ring;
        this.checkpoints = checkpoints;
        this.ackLogFile = ackLogFile;
        this.errorHandler = errorHandler;
        this.errors = errors;
        this.position = null != recovered ? recovered.length() : 0;
        this.durablePosition = position;
        try
        {
            if (null != journalFile)
            {
                Files.createDirectories(journalFile.toAbsolutePath().getParent());
            }
            journal = null == journalFile ? null : FileChannel.open(
                journalFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (null != journal)
            {
                journal.position(position);
                CheckpointStore.syncDirectory(journalFile.toAbsolutePath().getParent());
            }
            if (null != ackLogFile && null != recovered)
            {
                rewriteAckLog(recovered, ackLogFile);
            }
            ackLog = null == ackLogFile ? null : Files.newBufferedWriter(
                ackLogFile, StandardCharsets.US_ASCII, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            final Path named = null != journalFile ? journalFile : ackLogFile;
            throw new UncheckedIOException(named + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public String roleName()
    {
        return "stoker-journal";
    }

    @Override
    public int doWork()
    {
        if (failed)
        {
            return 0;
        }
        int work = 0;
        try
        {
            batch.clear();
            final int records = ring.read(onRecord, RECORDS_PER_WRITE);
            if (records > 0)
            {
                batch.flip();
                if (null != journal)
                {
                    while (batch.hasRemaining())
                    {
                        journal.write(batch);
                    }
                    journal.force(false);
                }
                position += (long)records * JournalRecord.FRAMED_LENGTH;
                durablePosition = position;
                appendAckLines();
                work += records;
            }
            final Snapshot snapshot = pendingSnapshot.getAndSet(null);
            if (null != snapshot)
            {
                if (null != checkpoints)
                {
                    checkpoints.write(snapshot.bytes(), snapshot.manifests());
                }
                checkpointsWritten = snapshot.sequence();
                work++;
            }
            final byte[] members = pendingMembers.getAndSet(null);
            if (null != members && null != checkpoints)
            {
                checkpoints.writeMembers(members);
                work++;
            }
        }
        catch (final IOException | UncheckedIOException ex)
        {
            failed = true;
            errors.incrementOrdered();
            errorHandler.onError(new IOException("journal: " + ex.getMessage() + ": acknowledgements are no longer " +
                "made durable, so none is counted from now on", ex));
        }
        return work;
    }

    @Override
    public void onClose()
    {
        CloseHelper.closeAll(journal, ackLog);
    }

    /**
     * @return where the durable records end: those before are fsynced (or, without a journal file, taken).
     */
    long durablePosition()
    {
        return durablePosition;
    }

    /**
     * @return the sequence of the last checkpoint written.
     */
    long checkpointsWritten()
    {
        return checkpointsWritten;
    }

    /**
     * Ask for a checkpoint to be written; one not written yet is replaced, the newer one covering more.
     */
    void checkpoint(final Snapshot snapshot)
    {
        pendingSnapshot.set(snapshot);
    }

    /**
     * Ask for where the members listen to be written beside the checkpoint; replaces what was not written yet.
     */
    void members(final byte[] routes)
    {
        pendingMembers.set(routes);
    }

    private void onRecord(final int type, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        JournalFile.frame(batch, buffer, offset, crc);
        if (null != ackLog && JournalRecord.ACK == JournalRecord.type(buffer, offset))
        {
            ackLines.add(JournalRecord.ackLine(buffer, offset));
        }
    }

    private void appendAckLines() throws IOException
    {
        if (ackLines.isEmpty())
        {
            return;
        }
        for (int i = 0, size = ackLines.size(); i < size; i++)
        {
            ackLog.write(ackLines.get(i));
            ackLog.newLine();
        }
        ackLines.clear();
        ackLog.flush();
    }

    /**
     * Write the ack log anew from the journal: what a crash between the journal's fsync and the ack log's write
     * lost is back, and nothing is there twice.
     */
    private static void rewriteAckLog(final JournalFile recovered, final Path ackLogFile) throws IOException
    {
        final Path temp = ackLogFile.resolveSibling(ackLogFile.getFileName() + ".tmp");
        try (BufferedWriter writer = Files.newBufferedWriter(temp, StandardCharsets.US_ASCII))
        {
            final IOException[] failure = new IOException[1];
            recovered.replay(0, (DirectBuffer buffer, int offset, boolean replayed) ->
            {
                if (JournalRecord.ACK == JournalRecord.type(buffer, offset) && null == failure[0])
                {
                    try
                    {
                        writer.write(JournalRecord.ackLine(buffer, offset));
                        writer.newLine();
                    }
                    catch (final IOException ex)
                    {
                        failure[0] = ex;
                    }
                }
            });
            if (null != failure[0])
            {
                throw failure[0];
            }
        }
        Files.move(temp, ackLogFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
