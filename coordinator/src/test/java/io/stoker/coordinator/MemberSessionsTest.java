package io.stoker.coordinator;

import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.Role;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.session.HandshakeIdentity;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The member table's leases on a hand-set clock, with no Aeron: what it tells its listener is what the
 * coordinator acts on (a lease ended, a rank taken over, a heartbeat due).
 */
class MemberSessionsTest
{
    private static final long LEASE_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long HEARTBEAT_NS = TimeUnit.SECONDS.toNanos(1);

    private final CachedNanoClock clock = new CachedNanoClock();
    private final List<String> told = new ArrayList<>();
    private final MemberSessions sessions = new MemberSessions(LEASE_NS, HEARTBEAT_NS, new Recorder());

    @Test
    void everyMessageRenewsTheLeaseWhichEndsJustAfterItsDeadlineAndNotAtIt()
    {
        clock.update(TimeUnit.SECONDS.toNanos(100));
        final Member worker = admit(1, 0, 1);
        final Member server = sessions.admit(2, 2, new HandshakeIdentity(
            Role.DATA_SERVER, -1, (byte)0, 1, "host", "aeron:ipc"), null, null, clock.nanoTime());

        clock.advance(LEASE_NS / 2);
        assertSame(worker, sessions.sender(1, worker.memberId, clock.nanoTime()), "a message renews the lease");
        final long renewedDeadline = clock.nanoTime() + LEASE_NS;

        clock.advance(LEASE_NS / 2);
        sessions.doWork(clock.nanoTime(), true);
        assertEquals(List.of(), ended(), "the server's lease holds at its deadline");
        clock.advance(1);
        sessions.doWork(clock.nanoTime(), true);
        assertEquals(List.of("ended " + server.memberId + " EXPIRED"), ended(), "and ends one nanosecond after it");

        clock.update(renewedDeadline);
        sessions.doWork(clock.nanoTime(), false);
        clock.advance(1);
        sessions.doWork(clock.nanoTime(), false);
        assertEquals(1, ended().size(), "no lease ends while messages are backed up");
        sessions.doWork(clock.nanoTime(), true);
        assertEquals(List.of("ended " + server.memberId + " EXPIRED", "ended " + worker.memberId + " EXPIRED"),
            ended(), "the renewed lease ends a lease after the renewal, once");
        sessions.doWork(clock.nanoTime() + LEASE_NS, true);
        assertEquals(2, ended().size());
        assertNull(sessions.sender(1, worker.memberId, clock.nanoTime()), "a member whose lease ended is refused");
        assertNull(sessions.worker("", 0), "and no longer holds its rank");
        assertThrows(IllegalStateException.class, () -> worker.renewLease(clock.nanoTime() + LEASE_NS),
            "a lease that ended is not renewed");
    }

    @Test
    void heartbeatsAreDueEveryIntervalAndEchoTheLatestTimestamp()
    {
        clock.update(TimeUnit.SECONDS.toNanos(100));
        final Member worker = admit(1, 0, 1);
        sessions.doWork(clock.nanoTime(), true);
        assertEquals(List.of("heartbeat " + worker.memberId + " " + ControlProtocol.NO_ECHO), heartbeats(),
            "due at once, echoing nothing before the member's first heartbeat");
        worker.echo(12345);
        clock.advance(HEARTBEAT_NS - 1);
        sessions.doWork(clock.nanoTime(), true);
        assertEquals(1, heartbeats().size(), "not before the interval");
        clock.advance(1);
        sessions.doWork(clock.nanoTime(), true);
        assertEquals("heartbeat " + worker.memberId + " 12345", heartbeats().get(1));
    }

    @Test
    void aNewerIncarnationTakesTheRankOverAndFencesTheOlderWhichAnOlderOneCannot()
    {
        clock.update(TimeUnit.SECONDS.toNanos(100));
        final Member first = admit(1, 3, 5);
        assertNotNull(sessions.refusal(identity(3, 5)), "the same incarnation on another session is refused");
        assertNotNull(sessions.refusal(identity(3, 4)), "an older one is refused");
        assertEquals(List.of(), ended(), "and the holder keeps its rank");
        assertSame(first, sessions.worker("", 3));

        final Member newer = admit(2, 3, 6);
        assertEquals(List.of("ended " + first.memberId + " SUPERSEDED", "removed " + first.memberId,
            "admitted " + newer.memberId), told.stream().filter(line -> !line.startsWith("heartbeat") &&
            !line.equals("admitted " + first.memberId)).toList(),
            "the holder's lease ends, while it may still be told, before the newer one is admitted");
        assertSame(newer, sessions.worker("", 3));
        assertNull(sessions.sender(1, first.memberId, clock.nanoTime()), "what the older one sends is refused");
        assertNotNull(sessions.refusal(identity(3, 5)), "it cannot take its rank back");

        sessions.release(2);
        assertNull(sessions.refusal(identity(3, 6)),
            "the same incarnation registering again on its own session is admitted: its session is released first");
    }

    /**
     * Ranks are per job: job A's rank 0 and job B's rank 0 are two live workers, and a second worker of A's rank 0 is
     * refused as before. A data server serves every job: one naming a job is refused, one naming none admitted.
     */
    @Test
    void eachJobHasItsOwnRanksAndADataServerMayNameNoJob()
    {
        final Member a = sessions.admit(1, 1, identity(0, 5).forJob("job-a"), null, null, clock.nanoTime());
        assertNull(sessions.refusal(identity(0, 5).forJob("job-b")), "job B's rank 0 is free");
        final Member b = sessions.admit(2, 2, identity(0, 5).forJob("job-b"), null, null, clock.nanoTime());
        assertNotNull(sessions.refusal(identity(0, 5).forJob("job-a")), "job A's rank 0 is held");
        assertNull(sessions.refusal(identity(0, 5)), "the default job's rank 0 is free");
        assertSame(a, sessions.worker("job-a", 0));
        assertSame(b, sessions.worker("job-b", 0));
        assertNull(sessions.worker("", 0));

        final HandshakeIdentity server = new HandshakeIdentity(Role.DATA_SERVER, -1, (byte)0, 1, "host", "aeron:ipc");
        assertNotNull(sessions.refusal(server.forJob("job-a")));
        assertNull(sessions.refusal(server), "the positive control: a data server naming no job");
    }

    private Member admit(final int sessionId, final int rank, final long incarnation)
    {
        sessions.release(sessionId);
        assertNull(sessions.refusal(identity(rank, incarnation)));
        return sessions.admit(sessionId, sessionId, identity(rank, incarnation), null, null, clock.nanoTime());
    }

    private static HandshakeIdentity identity(final int rank, final long incarnation)
    {
        return new HandshakeIdentity(Role.WORKER, rank, (byte)0, 1, "host", "aeron:ipc", incarnation);
    }

    private List<String> ended()
    {
        return told.stream().filter(line -> line.startsWith("ended")).toList();
    }

    private List<String> heartbeats()
    {
        return told.stream().filter(line -> line.startsWith("heartbeat")).toList();
    }

    /**
     * What the table told, a line each.
     */
    private final class Recorder implements MemberSessions.Listener
    {
        @Override
        public void onAdmitted(final Member member)
        {
            told.add("admitted " + member.memberId);
        }

        @Override
        public void onLeaseEnded(final Member member, final LeaseEnd reason)
        {
            told.add("ended " + member.memberId + " " + reason);
        }

        @Override
        public void onRemoved(final Member member)
        {
            told.add("removed " + member.memberId);
        }

        @Override
        public void onHeartbeatDue(final Member member, final long nowNs)
        {
            told.add("heartbeat " + member.memberId + " " + member.echoTimestampNs());
        }
    }
}
