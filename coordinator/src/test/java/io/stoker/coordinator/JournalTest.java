package io.stoker.coordinator;

import io.stoker.transport.control.StreamId;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal alone: a record offered is handed back to be counted only once the journal agent made it durable;
 * the ack log is derived from the journal (written after the fsync, and anew from the journal at start-up); a torn
 * last record is cut off at start-up and the rest replays; damage with whole records after it is refused, naming
 * the file and the offset.
 */
class JournalTest
{
    @TempDir
    Path temp;

    private final List<String> errors = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();
    private final List<JournalAgent> agents = new ArrayList<>();

    @AfterEach
    void close()
    {
        agents.forEach(JournalAgent::onClose);
        assertEquals(List.of(), errors);
    }

    @Test
    void aRecordIsHandedBackToBeCountedOnlyOnceTheJournalAgentMadeItDurable() throws IOException
    {
        final Path file = temp.resolve(JournalFile.FILE_NAME);
        final Path ackLog = temp.resolve("acks.log");
        final Journal journal = open(file, ackLog);
        assertTrue(journal.publisher.offer(JournalRecord.ACK, 3, new StreamId(1, 0, 2), 7, 1));
        assertTrue(journal.publisher.offer(JournalRecord.UNAVAILABLE, 3, new StreamId(1, 0, 2), 8, 44));
        assertTrue(journal.publisher.offer(JournalRecord.ACK, 3, new StreamId(1, 0, 2), 8, 1));

        final List<String> handed = new ArrayList<>();
        assertEquals(0, journal.publisher.poll((buffer, offset, replayed) -> handed.add(describe(buffer, offset))));
        assertEquals(List.of(), Files.readAllLines(ackLog), "nothing in the ack log before it is durable");
        assertTrue(!journal.publisher.isQuiet());

        assertEquals(3, journal.agent.doWork());
        assertEquals(3, journal.publisher.poll((buffer, offset, replayed) -> handed.add(describe(buffer, offset))));
        assertEquals(List.of("1 3 1/0/2 7 1", "2 3 1/0/2 8 44", "1 3 1/0/2 8 1"), handed);
        assertTrue(journal.publisher.isQuiet());
        assertEquals(3L * JournalRecord.FRAMED_LENGTH, Files.size(file));
        assertEquals(List.of("1 0 2 7 1", "1 0 2 8 1"), Files.readAllLines(ackLog));
    }

    @Test
    void aTornLastRecordIsCutOffAndTheWholeRecordsReplayFromAPosition() throws IOException
    {
        final Path file = temp.resolve(JournalFile.FILE_NAME);
        final Path ackLog = temp.resolve("acks.log");
        final Journal journal = open(file, ackLog);
        for (int step = 0; step < 4; step++)
        {
            journal.publisher.offer(JournalRecord.ACK, 1, new StreamId(0, 0, 0), step, 0);
        }
        journal.agent.doWork();
        journal.agent.onClose();
        final byte[] whole = Files.readAllBytes(file);
        for (int torn = 1; torn < JournalRecord.FRAMED_LENGTH; torn++)
        {
            final byte[] withTornTail = new byte[whole.length + torn];
            System.arraycopy(whole, 0, withTornTail, 0, whole.length);
            System.arraycopy(whole, 0, withTornTail, whole.length, torn);
            Files.write(file, withTornTail);

            final JournalFile recovered = JournalFile.recover(file, notices::add);
            assertEquals(whole.length, recovered.length(), torn + " bytes torn");
            assertEquals(whole.length, Files.size(file), "the torn record is cut off the file");
            assertTrue(notices.get(notices.size() - 1).contains("torn last record at offset " + whole.length),
                notices.toString());
            final List<Integer> steps = new ArrayList<>();
            recovered.replay(2L * JournalRecord.FRAMED_LENGTH,
                (buffer, offset, replayed) -> steps.add(JournalRecord.step(buffer, offset)));
            assertEquals(List.of(2, 3), steps, "the records after the position, in order");
        }
        final JournalFile recovered = JournalFile.recover(file, notices::add);
        final UncheckedIOException ex = assertThrows(UncheckedIOException.class,
            () -> recovered.replay(whole.length + JournalRecord.FRAMED_LENGTH, (b, o, r) -> {}));
        assertTrue(ex.getMessage().contains(file.toString()), ex.getMessage());
    }

    @Test
    void aRecordDamagedWithWholeRecordsAfterItIsRefusedNamingTheFileAndOffset() throws IOException
    {
        final Path file = temp.resolve(JournalFile.FILE_NAME);
        final Journal journal = open(file, null);
        for (int step = 0; step < 4; step++)
        {
            journal.publisher.offer(JournalRecord.ACK, 1, new StreamId(0, 0, 0), step, 0);
        }
        journal.agent.doWork();
        final byte[] bytes = Files.readAllBytes(file);
        bytes[JournalRecord.FRAMED_LENGTH + 10] ^= 1;
        Files.write(file, bytes);

        final UncheckedIOException ex = assertThrows(UncheckedIOException.class,
            () -> JournalFile.recover(file, notices::add));
        assertTrue(ex.getMessage().startsWith(file.toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("damaged record at offset " + JournalRecord.FRAMED_LENGTH),
            ex.getMessage());
        assertEquals(bytes.length, Files.size(file), "nothing cut off a file refused");
    }

    /**
     * A crash after the journal's fsync and before the ack log's write loses the line; at start-up the ack log is
     * written anew from the journal, so it holds every acknowledgement the journal holds, once.
     */
    @Test
    void theAckLogIsWrittenAnewFromTheJournalAtStartUp() throws IOException
    {
        final Path file = temp.resolve(JournalFile.FILE_NAME);
        final Path ackLog = temp.resolve("acks.log");
        final Journal journal = open(file, ackLog);
        for (int step = 0; step < 3; step++)
        {
            journal.publisher.offer(JournalRecord.ACK, 1, new StreamId(2, 1, 0), step, 1);
        }
        journal.agent.doWork();
        journal.agent.onClose();
        Files.write(ackLog, List.of("2 1 0 0 1", "2 1 0 0 1"), StandardOpenOption.TRUNCATE_EXISTING);

        final Journal reopened = open(file, ackLog);
        assertEquals(List.of("2 1 0 0 1", "2 1 0 1 1", "2 1 0 2 1"), Files.readAllLines(ackLog));
        reopened.publisher.offer(JournalRecord.ACK, 1, new StreamId(2, 1, 0), 3, 1);
        reopened.agent.doWork();
        assertEquals(4, Files.readAllLines(ackLog).size());
        assertEquals(4L * JournalRecord.FRAMED_LENGTH, Files.size(file), "appended after the whole records");
    }

    private Journal open(final Path file, final Path ackLog)
    {
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect((64 << 10) + RingBufferDescriptor.TRAILER_LENGTH)));
        final JournalFile recovered = JournalFile.recover(file, notices::add);
        final AtomicCounter errorCounter = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(8 * 1024))).newCounter("errors");
        final JournalAgent agent = new JournalAgent(
            ring, file, recovered, null, ackLog, ex -> errors.add(ex.getMessage()), errorCounter);
        agents.add(agent);
        return new Journal(new JournalPublisher(ring, agent, recovered.length()), agent);
    }

    private static String describe(final DirectBuffer buffer, final int offset)
    {
        return JournalRecord.type(buffer, offset) + " " + JournalRecord.jobId(buffer, offset) + " " +
            JournalRecord.epoch(buffer, offset) + "/" + JournalRecord.segment(buffer, offset) + "/" +
            JournalRecord.stream(buffer, offset) + " " + JournalRecord.step(buffer, offset) + " " +
            JournalRecord.value(buffer, offset);
    }

    private record Journal(JournalPublisher publisher, JournalAgent agent)
    {
    }
}
