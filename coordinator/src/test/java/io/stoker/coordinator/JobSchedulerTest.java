package io.stoker.coordinator;

import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.Role;
import io.stoker.dataset.Crc32c;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.JobSpec;
import io.stoker.plan.SampleSpace;
import io.stoker.plan.Segment;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.status.CounterType;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job scheduler alone: no Aeron, no files, no clock of its own. It is driven as the coordinator drives it,
 * with the member table's leases on a hand-set clock where leases matter, and what it decides is recorded as it
 * leaves through its output; the journal is a queue the test makes durable when it chooses.
 */
class JobSchedulerTest
{
    private static final long LEASE_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long SEED = 9;
    private static final int WORLD_SIZE = 3;
    private static final int CLIENT = 100;
    private static final BatchSpec DROP_LAST = new BatchSpec(8, 2, DropPolicy.DROP_LAST);
    private static final Manifest MANIFEST = manifest(16, 40, 1000);

    private final CachedNanoClock clock = new CachedNanoClock();
    private final RecordingOutput output = new RecordingOutput();
    private final JobScheduler scheduler = new JobScheduler(16, 1, 64, new JobIds(), new AllServed(), output);
    private final MemberSessions sessions = new MemberSessions(LEASE_NS, LEASE_NS / 4, new Wiring());
    private final Member[] workers = new Member[WORLD_SIZE];
    private final JobSpec spec = JobSpec.of(MANIFEST.datasetId(), WORLD_SIZE, 2, SEED, DROP_LAST);
    private long checkpointsWritten;

    @Test
    void aJobStartsOnlyWithEveryRankAndItsFirstCheckpointAndAssignsEachRankItsOwnStreamInEqualShares()
    {
        clock.update(TimeUnit.SECONDS.toNanos(100));
        assertNull(scheduler.submit(CLIENT, 1, spec, 1));
        join(0);
        join(1);
        takeCheckpoint();
        assertEquals(0, scheduler.tryStart(checkpointsWritten) + output.assignments().size(),
            "no step is handed out while a rank is missing");

        join(2);
        checkpointsWritten = 0;
        scheduler.tryStart(checkpointsWritten);
        assertEquals(List.of(), output.assignments(), "nor before the job's first checkpoint is written");

        checkpointsWritten = 1;
        assertEquals(1, scheduler.tryStart(checkpointsWritten));
        final SampleSpace space = space();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            final Segment segment = spec.segment(space, epoch);
            for (int rank = 0; rank < WORLD_SIZE; rank++)
            {
                assertEquals(allSteps(segment.stream(rank).steps()),
                    output.assigned(workers[rank].memberId, epoch, rank),
                    "rank " + rank + " delivers its own stream of epoch " + epoch);
                for (int other = 0; other < WORLD_SIZE; other++)
                {
                    if (other != rank)
                    {
                        assertEquals(List.of(), output.assigned(workers[rank].memberId, epoch, other));
                    }
                }
                assertEquals(segment.stream(0).steps(), segment.stream(rank).steps(), "equal steps per rank");
            }
        }
        assertTrue(output.events.contains("jobStarted " + CLIENT), "the client hears the job started");
    }

    @Test
    void anAcknowledgementCountsOnlyOnceTheJournalMadeItDurableAndADuplicateNever()
    {
        start();
        final StreamId stream = new StreamId(0, 0, 1);
        assertNull(ack(1, stream, 0, 1));
        assertNull(ack(1, stream, 0), "a duplicate before it is durable is taken");
        assertEquals(2, output.journal.size(), "journaled once each, the duplicate not again");
        assertEquals(0, output.counted(CounterType.STEPS_ACKNOWLEDGED), "nothing counts before it is durable");

        output.makeDurable(scheduler);
        assertEquals(2, output.counted(CounterType.STEPS_ACKNOWLEDGED));
        assertNull(ack(1, stream, 1), "a duplicate after it is durable is taken");
        output.makeDurable(scheduler);
        assertEquals(2, output.counted(CounterType.STEPS_ACKNOWLEDGED), "and not counted again");

        assertNotNull(ack(0, stream, 2), "a step another rank holds is refused");
        assertNotNull(ack(1, new StreamId(5, 0, 1), 0), "an epoch never planned is refused");
        assertEquals(0, output.journal.size());

        final Segment segment = spec.segment(space(), 0);
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            ack(rank, new StreamId(0, 0, rank), allSteps(segment.stream(rank).steps()).stream()
                .mapToInt(Integer::intValue).toArray());
        }
        assertEquals(0, output.count("epochComplete"), "every step acknowledged, none durable: the epoch is open");
        output.makeDurable(scheduler);
        assertEquals(WORLD_SIZE + 1, output.count("epochComplete 0 "), "each worker and the client hear it once");
        assertEquals(WORLD_SIZE * segment.stream(0).steps(), output.counted(CounterType.STEPS_ACKNOWLEDGED));
    }

    @Test
    void aHoldersLeaseEndReassignsItsUnacknowledgedStepsToTheOthersOnceJournaledAfterTheDeadlineAndNeverBefore()
    {
        start();
        final long deadRankDeadline = clock.nanoTime() + LEASE_NS;
        ack(2, new StreamId(0, 0, 2), 0, 1, 2);
        output.makeDurable(scheduler);
        output.events.clear();

        clock.advance(LEASE_NS / 2);
        renew(0);
        renew(1);
        clock.update(deadRankDeadline);
        sessions.doWork(clock.nanoTime(), true);
        assertEquals(List.of(), output.assignments(), "at its deadline the lease still holds: nothing moves");
        assertEquals(0, output.journal.size());

        clock.advance(1);
        sessions.doWork(clock.nanoTime(), true);
        final int steps = spec.segment(space(), 0).stream(2).steps();
        final int nextEpochSteps = spec.segment(space(), 1).stream(2).steps();
        assertEquals(steps - 3 + nextEpochSteps, output.journal.size(), "each move goes to the journal");
        assertEquals(List.of(), output.assignments(), "and no survivor hears of a move before it is durable");
        output.makeDurable(scheduler);
        final TreeSet<Integer> moved = new TreeSet<>();
        for (int rank = 0; rank < 2; rank++)
        {
            final List<Integer> share = output.assigned(workers[rank].memberId, 0, 2);
            assertTrue(Math.abs(share.size() - (steps - 3) / 2) <= 1, "about half each: " + share);
            moved.addAll(share);
        }
        assertEquals(new TreeSet<>(allSteps(steps).subList(3, steps)), moved,
            "the unacknowledged steps, each to one live rank, the acknowledged ones to none");
        final TreeSet<Integer> movedNext = new TreeSet<>(output.assigned(workers[0].memberId, 1, 2));
        movedNext.addAll(output.assigned(workers[1].memberId, 1, 2));
        assertEquals(new TreeSet<>(allSteps(nextEpochSteps)), movedNext, "and those of the epoch planned ahead");
        assertEquals(steps - 3 + nextEpochSteps, output.counted(CounterType.STEPS_REASSIGNED));
        assertNotNull(ack(2, new StreamId(0, 0, 2), 3), "the rank whose lease ended may no longer acknowledge");
    }

    @Test
    void aClaimForAHeldStepIsConfirmedOnlyWhenDurableAndCountedOnceAndAClaimAgainIsConfirmedAgainNotCounted()
    {
        start();
        final StreamId stream = new StreamId(0, 0, 1);
        assertNull(ack(1, stream, 4));
        assertEquals(0, output.count("confirm"), "no confirmation before the claim is durable");
        assertNull(ack(1, stream, 4), "the same claim again before it is durable");
        assertEquals(1, output.journal.size(), "journaled once");

        output.makeDurable(scheduler);
        assertEquals(List.of("confirm " + workers[1].memberId + " 0/1/4"), confirmations());
        assertEquals(1, output.counted(CounterType.STEPS_ACKNOWLEDGED));

        output.events.clear();
        assertNull(ack(1, stream, 4), "claimed again, as by a worker registered anew");
        assertEquals(List.of("confirm " + workers[1].memberId + " 0/1/4"), confirmations(),
            "a durable claim is confirmed again at once");
        assertEquals(0, output.journal.size(), "not journaled again");
        output.makeDurable(scheduler);
        assertEquals(1, output.counted(CounterType.STEPS_ACKNOWLEDGED), "nor counted again");
    }

    @Test
    void aClaimForAStepMovedToAnotherRankIsRefusedAndNotCountedAndTheConfirmedOnesAreNeverMoved()
    {
        start();
        final StreamId stream = new StreamId(0, 0, 2);
        final int steps = spec.segment(space(), 0).stream(2).steps();
        final int nextEpochSteps = spec.segment(space(), 1).stream(2).steps();
        ack(2, stream, 0, 1);
        output.makeDurable(scheduler);
        ack(2, stream, 2);
        output.events.clear();

        clock.advance(LEASE_NS / 2);
        renew(0);
        renew(1);
        clock.advance(LEASE_NS / 2 + 1);
        sessions.doWork(clock.nanoTime(), true);
        output.makeDurable(scheduler);
        final TreeSet<Integer> moved = new TreeSet<>(output.assigned(workers[0].memberId, 0, 2));
        moved.addAll(output.assigned(workers[1].memberId, 0, 2));
        assertEquals(new TreeSet<>(allSteps(steps).subList(3, steps)), moved,
            "at the lease's end only the unclaimed steps move: not the confirmed ones, nor the one claimed and not " +
            "yet durable (its confirmation is on its way)");
        assertEquals(steps - 3 + nextEpochSteps, output.counted(CounterType.STEPS_REASSIGNED));
        assertEquals(3, output.counted(CounterType.STEPS_ACKNOWLEDGED), "the claim made durable after the end counts");

        final Member again = sessions.admit(20, 2, new HandshakeIdentity(
            Role.WORKER, 2, (byte)0, 1, "host", "aeron:ipc", 1), null, null, clock.nanoTime());
        output.events.clear();
        assertNotNull(scheduler.acknowledge(again.memberId, 2, 1, stream, new int[]{ 1, 5 }, 2),
            "a claim of a moved step is reported");
        assertEquals(List.of("confirm " + again.memberId + " 0/2/1", "refuse " + again.memberId + " 0/2/5"),
            confirmations(), "the worker back for the rank: its confirmed step confirmed again, the moved one refused");
        assertEquals(0, output.journal.size(), "the refused one is not journaled");
        output.makeDurable(scheduler);
        assertEquals(3, output.counted(CounterType.STEPS_ACKNOWLEDGED), "nor counted");

        final int holder = output.assigned(workers[0].memberId, 0, 2).contains(moved.first()) ? 0 : 1;
        assertNull(ack(holder, stream, moved.first()), "the rank it moved to claims it");
        output.makeDurable(scheduler);
        assertEquals(4, output.counted(CounterType.STEPS_ACKNOWLEDGED), "and it counts once");
    }

    @Test
    void aClaimAgainOfAStepOfACompletedEpochIsConfirmedToTheRankThatHeldItAndRefusedToAnyOther()
    {
        start();
        final Segment segment = spec.segment(space(), 0);
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            ack(rank, new StreamId(0, 0, rank), allSteps(segment.stream(rank).steps()).stream()
                .mapToInt(Integer::intValue).toArray());
        }
        output.makeDurable(scheduler);
        assertEquals(WORLD_SIZE + 1, output.count("epochComplete 0 "));
        final long counted = output.counted(CounterType.STEPS_ACKNOWLEDGED);

        output.events.clear();
        assertNull(ack(1, new StreamId(0, 0, 1), 2), "a claim again, as after a restart lost its confirmation");
        assertNull(ack(0, new StreamId(0, 0, 1), 3));
        assertEquals(List.of("confirm " + workers[1].memberId + " 0/1/2", "refuse " + workers[0].memberId + " 0/1/3"),
            confirmations(), "the completed epoch still knows who held each step");
        assertEquals(0, output.journal.size());
        assertEquals(counted, output.counted(CounterType.STEPS_ACKNOWLEDGED), "nothing counted again");
    }

    @Test
    void aDeadHoldersStepsMoreThanTheJournalTakesAtOnceAllMoveOverSeveralCyclesEachOnceAndOnlyAsJournaled()
    {
        start();
        output.events.clear();
        output.journalRoom = 5;
        clock.advance(LEASE_NS / 2);
        renew(0);
        renew(1);
        clock.advance(LEASE_NS / 2 + 1);
        sessions.doWork(clock.nanoTime(), true);
        assertEquals(5, output.journal.size(), "as many moves as the journal takes, no more");
        assertTrue(output.events.stream().noneMatch(event -> event.startsWith("error")),
            "a full journal holds moves back; it is no error: " + output.events);

        int cycles = 0;
        int moved = 5;
        while (true)
        {
            output.makeDurable(scheduler);
            final int more = scheduler.continueMoves();
            if (0 == more)
            {
                break;
            }
            assertTrue(more <= 5, "never more moves than the journal took: " + more);
            moved += more;
            cycles++;
        }
        final int steps = spec.segment(space(), 0).stream(2).steps();
        final int nextEpochSteps = spec.segment(space(), 1).stream(2).steps();
        assertEquals(steps + nextEpochSteps, moved, "every step of the dead rank moved");
        assertTrue(cycles >= (steps + nextEpochSteps) / 5 - 1, "over several cycles: " + cycles);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            final TreeSet<Integer> first = new TreeSet<>(output.assigned(workers[0].memberId, epoch, 2));
            final TreeSet<Integer> second = new TreeSet<>(output.assigned(workers[1].memberId, epoch, 2));
            final TreeSet<Integer> all = new TreeSet<>(first);
            all.addAll(second);
            final int epochSteps = epoch == 0 ? steps : nextEpochSteps;
            assertEquals(first.size() + second.size(), all.size(), "no step to both survivors in epoch " + epoch);
            assertEquals(new TreeSet<>(allSteps(epochSteps)), all, "every step to a survivor in epoch " + epoch);
        }
        assertEquals(steps + nextEpochSteps, output.counted(CounterType.STEPS_REASSIGNED));
    }

    @Test
    void theSameInputsGiveTheSameOutputs()
    {
        final List<String> first = scriptedRun();
        final List<String> second = scriptedRun();
        assertTrue(first.contains("jobComplete " + CLIENT + " " + JobOutcome.COMPLETE + " 2"),
            "the script runs the job to its end: " + first.subList(Math.max(0, first.size() - 5), first.size()));
        assertEquals(first, second);
    }

    /**
     * A whole job through a start, acknowledgements, a lease that ends and the epochs' ends, with a fresh scheduler.
     */
    private static List<String> scriptedRun()
    {
        final JobSchedulerTest run = new JobSchedulerTest();
        run.start();
        final SampleSpace space = run.space();
        run.ack(0, new StreamId(0, 0, 0), 0, 1);
        run.output.makeDurable(run.scheduler);
        run.clock.advance(LEASE_NS / 2);
        run.renew(0);
        run.renew(1);
        run.clock.advance(LEASE_NS / 2 + 1);
        run.sessions.doWork(run.clock.nanoTime(), true);
        run.output.makeDurable(run.scheduler);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            final Segment segment = run.spec.segment(space, epoch);
            for (int stream = 0; stream < WORLD_SIZE; stream++)
            {
                for (int step = 0; step < segment.stream(stream).steps(); step++)
                {
                    for (int rank = 0; rank < 2; rank++)
                    {
                        run.ack(rank, new StreamId(epoch, 0, stream), step);
                    }
                }
            }
            run.output.makeDurable(run.scheduler);
        }
        return run.output.events;
    }

    private void start()
    {
        clock.update(TimeUnit.SECONDS.toNanos(100));
        scheduler.submit(CLIENT, 1, spec, 1);
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            join(rank);
        }
        takeCheckpoint();
        checkpointsWritten = 1;
        assertEquals(1, scheduler.tryStart(checkpointsWritten));
        output.events.clear();
    }

    private void takeCheckpoint()
    {
        scheduler.tryStart(checkpointsWritten);
        assertTrue(scheduler.isCheckpointDue(), "a job's first checkpoint is due once its manifest is known");
        scheduler.checkpointAsked(1);
    }

    private void join(final int rank)
    {
        workers[rank] = sessions.admit(10 + rank, rank, new HandshakeIdentity(
            Role.WORKER, rank, (byte)0, 1, "host", "aeron:ipc", 1), null, null, clock.nanoTime());
    }

    private void renew(final int rank)
    {
        assertNotNull(sessions.sender(workers[rank].sessionId, workers[rank].memberId, clock.nanoTime()));
    }

    private String ack(final int rank, final StreamId stream, final int... steps)
    {
        return scheduler.acknowledge(workers[rank].memberId, rank, 1, stream, steps, steps.length);
    }

    private List<String> confirmations()
    {
        return output.events.stream()
            .filter(event -> event.startsWith("confirm") || event.startsWith("refuse")).toList();
    }

    private SampleSpace space()
    {
        final int[] records = new int[MANIFEST.chunkCount()];
        Arrays.setAll(records, MANIFEST::chunkRecordCount);
        return new SampleSpace(records);
    }

    private static List<Integer> allSteps(final int steps)
    {
        final List<Integer> all = new ArrayList<>();
        for (int step = 0; step < steps; step++)
        {
            all.add(step);
        }
        return all;
    }

    /**
     * A manifest of fixed-size records in one shard, encoded as a data server would send it.
     */
    private static Manifest manifest(final int chunks, final int recordsPerChunk, final int recordSize)
    {
        final byte[] magic = "STKMANI1".getBytes(StandardCharsets.US_ASCII);
        final byte[] format = ("fixed:" + recordSize).getBytes(StandardCharsets.UTF_8);
        final byte[] path = "part-0.bin".getBytes(StandardCharsets.UTF_8);
        final int chunkLength = recordsPerChunk * recordSize;
        final int size = magic.length + Integer.BYTES + Long.BYTES + Integer.BYTES + format.length + 2 * Integer.BYTES +
            Integer.BYTES + path.length + Long.BYTES + Integer.BYTES + chunks * (3 * Integer.BYTES + Long.BYTES +
            Integer.BYTES) + 2 * Integer.BYTES;
        final ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        out.put(magic).putInt(Manifest.VERSION).putLong(size).putInt(format.length).put(format).putInt(chunkLength);
        out.putInt(1).putInt(path.length).put(path).putLong((long)chunks * chunkLength);
        out.putInt(chunks);
        for (int i = 0; i < chunks; i++)
        {
            out.putInt(0).putLong((long)i * chunkLength).putInt(chunkLength).putInt(recordsPerChunk).putInt(i);
        }
        out.putInt(0);
        out.putInt(new Crc32c().compute(out, 0, out.position()));
        return Manifest.fromBytes(new UnsafeBuffer(out.array()), 0, size, "test");
    }

    /**
     * Data servers that serve every shard of the one dataset.
     */
    private static final class AllServed implements JobScheduler.Datasets
    {
        @Override
        public Manifest manifest(final String datasetId)
        {
            return MANIFEST.datasetId().equals(datasetId) ? MANIFEST : null;
        }

        @Override
        public boolean allRegionsAdvertised(final String datasetId, final int shardCount)
        {
            return true;
        }
    }

    /**
     * The member table wired to the scheduler as the coordinator wires it.
     */
    private final class Wiring implements MemberSessions.Listener
    {
        @Override
        public void onAdmitted(final Member member)
        {
            scheduler.onWorkerJoined(member.rank, member.memberId);
        }

        @Override
        public void onLeaseEnded(final Member member, final LeaseEnd reason)
        {
            if (reason == LeaseEnd.EXPIRED)
            {
                scheduler.onWorkerLost(member.rank, member.memberId);
            }
        }

        @Override
        public void onRemoved(final Member member)
        {
            scheduler.onWorkerLeft(member.rank, member.memberId);
        }

        @Override
        public void onHeartbeatDue(final Member member, final long nowNs)
        {
        }
    }

    /**
     * Every output as a line, in order; journal records queued until the test makes them durable.
     */
    private static final class RecordingOutput implements SchedulerOutput
    {
        final List<String> events = new ArrayList<>();
        final ArrayDeque<byte[]> journal = new ArrayDeque<>();
        int journalRoom = Integer.MAX_VALUE;
        final Map<CounterType, Long> counters = new EnumMap<>(CounterType.class);
        final Map<String, List<Integer>> assignedSteps = new TreeMap<>();

        @Override
        public void jobStarted(final int memberId, final Job job)
        {
            events.add("jobStarted " + memberId);
        }

        @Override
        public void assign(final int memberId, final int rank, final long jobId, final StreamId stream,
            final int[] steps)
        {
            events.add("assign " + memberId + " " + rank + " " + stream + " " + Arrays.toString(steps));
            final List<Integer> list = assignedSteps.computeIfAbsent(
                memberId + "/" + stream.epoch() + "/" + stream.rank(), k -> new ArrayList<>());
            Arrays.stream(steps).forEach(list::add);
        }

        @Override
        public void epochComplete(final int memberId, final long jobId, final Job.EpochResult result)
        {
            events.add("epochComplete " + result.epoch() + " " + memberId + " " + result.deliveredSamples());
        }

        @Override
        public void jobComplete(final int memberId, final long jobId, final JobOutcome outcome, final int epochs)
        {
            events.add("jobComplete " + memberId + " " + outcome + " " + epochs);
        }

        @Override
        public void answer(final int memberId, final long jobId, final int epoch, final int segment, final int stream,
            final int step, final boolean confirmed)
        {
            events.add((confirmed ? "confirm " : "refuse ") + memberId + " " + epoch + "/" + stream + "/" + step);
        }

        @Override
        public boolean journal(final int type, final long jobId, final StreamId stream, final int step,
            final int value)
        {
            if (journal.size() >= journalRoom)
            {
                return false;
            }
            final UnsafeBuffer record = new UnsafeBuffer(new byte[JournalRecord.PAYLOAD_LENGTH]);
            JournalRecord.encode(record, 0, type, jobId, stream, step, value);
            journal.add(record.byteArray());
            events.add("journal " + type + " " + stream + " " + step + " " + value);
            return true;
        }

        @Override
        public void count(final CounterType type, final long delta)
        {
            counters.merge(type, delta, Long::sum);
        }

        @Override
        public void log(final String message)
        {
            events.add("log " + message);
        }

        @Override
        public void error(final String message)
        {
            events.add("error " + message);
        }

        void makeDurable(final JournalRecord.Handler handler)
        {
            while (!journal.isEmpty())
            {
                handler.onRecord(new UnsafeBuffer(journal.poll()), 0, false);
            }
        }

        long counted(final CounterType type)
        {
            return counters.getOrDefault(type, 0L);
        }

        long count(final String prefix)
        {
            return events.stream().filter(event -> event.startsWith(prefix)).count();
        }

        List<String> assignments()
        {
            return events.stream().filter(event -> event.startsWith("assign")).toList();
        }

        List<Integer> assigned(final int memberId, final int epoch, final int stream)
        {
            return assignedSteps.getOrDefault(memberId + "/" + epoch + "/" + stream, List.of());
        }
    }
}
