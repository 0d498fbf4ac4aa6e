package io.stoker.coordinator;

import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.Role;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.Outbox;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The member table and its leases: who is admitted (one worker per rank of a job, a newer incarnation taking a rank
 * over from its holder), lease renewal by every message a member sends, the heartbeats it is due with the
 * echo of its latest timestamp, and lease expiry, decided here and only here against the time passed in.
 * It sends nothing: it tells its {@link Listener} what happened, which sends and counts.
 */
final class MemberSessions
{
    /**
     * What the member table tells the roles that act on it.
     */
    interface Listener
    {
        /**
         * A member was admitted; a worker now holds its rank.
         */
        void onAdmitted(Member member);

        /**
         * A member's lease ended: the one place where that is decided. Called after it left the table and before
         * its outbox closes, so that it may still be told.
         */
        void onLeaseEnded(Member member, LeaseEnd reason);

        /**
         * A member left the table, whatever the reason (also a session authenticated again); its outbox closes next.
         */
        void onRemoved(Member member);

        /**
         * A member is due a heartbeat, which echoes {@link Member#echoTimestampNs()}.
         */
        void onHeartbeatDue(Member member, long nowNs);
    }

    private final long leaseTimeoutNs;
    private final long heartbeatIntervalNs;
    private final Listener listener;
    private final List<Member> members = new ArrayList<>();
    private final Int2ObjectHashMap<Member> membersBySession = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<Member> membersById = new Int2ObjectHashMap<>();
    private final Map<String, Int2ObjectHashMap<Member>> workersByJob = new HashMap<>();
    private final List<Member> expired = new ArrayList<>();
    private int nextMemberId = 1;

    MemberSessions(final long leaseTimeoutNs, final long heartbeatIntervalNs, final Listener listener)
    {
        this.leaseTimeoutNs = leaseTimeoutNs;
        this.heartbeatIntervalNs = heartbeatIntervalNs;
        this.listener = listener;
    }

    /**
     * Send the heartbeats due and end the leases past their deadline.
     *
     * @param checkLeases false while messages are backed up: a member's heartbeat may be among them.
     * @return members serviced.
     */
    int doWork(final long nowNs, final boolean checkLeases)
    {
        int work = 0;
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member member = members.get(i);
            if (member.isHeartbeatDue(nowNs))
            {
                listener.onHeartbeatDue(member, nowNs);
                member.heartbeatSent(nowNs + heartbeatIntervalNs);
                work++;
            }
            if (checkLeases && member.isExpired(nowNs))
            {
                expired.add(member);
            }
        }
        if (!expired.isEmpty())
        {
            for (int i = 0, size = expired.size(); i < size; i++)
            {
                end(expired.get(i), LeaseEnd.EXPIRED);
            }
            work += expired.size();
            expired.clear();
        }
        return work;
    }

    /**
     * Forget the member a session held, when the session authenticates again: it registers anew.
     */
    void release(final int sessionId)
    {
        final Member previous = membersBySession.get(sessionId);
        if (null != previous)
        {
            remove(previous);
        }
    }

    /**
     * @return null when a member of this identity may be admitted now, else why not: a worker whose rank of its job a
     * live worker of the same or a newer incarnation holds; a data server naming a job (data servers serve every job,
     * and register with the cluster token and no job name).
     */
    String refusal(final HandshakeIdentity identity)
    {
        if (identity.role() == Role.DATA_SERVER && !identity.jobName().isEmpty())
        {
            return "a data server serves every job: it registers with the cluster token and names no job, not " +
                identity.jobName();
        }
        if (identity.role() != Role.WORKER)
        {
            return null;
        }
        final Member holder = worker(identity.jobName(), identity.rank());
        if (null != holder && identity.incarnation() <= holder.incarnation)
        {
            return "rank " + identity.rank() + " is held by a live worker (member " + holder.memberId + ")" +
                (identity.incarnation() < holder.incarnation ? " of a newer incarnation" : "");
        }
        return null;
    }

    /**
     * Admit a member that {@link #refusal} did not refuse; a worker of a newer incarnation than its rank's holder
     * supersedes the holder first.
     *
     * @return the member admitted, its lease running from {@code nowNs}.
     */
    Member admit(
        final int sessionId,
        final long correlationId,
        final HandshakeIdentity identity,
        final Outbox outbox,
        final MessageOpener opener,
        final long nowNs)
    {
        final String refusal = refusal(identity);
        if (null != refusal)
        {
            throw new IllegalStateException(refusal);
        }
        if (identity.role() == Role.WORKER)
        {
            final Member holder = worker(identity.jobName(), identity.rank());
            if (null != holder)
            {
                end(holder, LeaseEnd.SUPERSEDED);
            }
        }
        final Member member = new Member(
            nextMemberId++, identity, sessionId, correlationId, outbox, opener, nowNs + leaseTimeoutNs);
        members.add(member);
        membersBySession.put(sessionId, member);
        membersById.put(member.memberId, member);
        if (member.role == Role.WORKER)
        {
            workersByJob.computeIfAbsent(member.jobName, name -> new Int2ObjectHashMap<>()).put(member.rank, member);
        }
        listener.onAdmitted(member);
        return member;
    }

    /**
     * The member a message came from, its lease renewed from {@code nowNs}: the member id it names (-1 for messages
     * that name none) must be that of the session's member.
     *
     * @return the member, or null when the session holds no member of that id.
     */
    Member sender(final int sessionId, final int memberId, final long nowNs)
    {
        final Member member = membersBySession.get(sessionId);
        if (null == member || (memberId != -1 && member.memberId != memberId))
        {
            return null;
        }
        member.renewLease(nowNs + leaseTimeoutNs);
        return member;
    }

    /**
     * @return the member holding a session, or null.
     */
    Member bySession(final int sessionId)
    {
        return membersBySession.get(sessionId);
    }

    /**
     * @return whether a member of a job (a worker or a client; data servers name no job) is admitted.
     */
    boolean holdsJob(final String jobName)
    {
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member member = members.get(i);
            if (member.role != Role.DATA_SERVER && member.jobName.equals(jobName))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @return the live worker holding a rank of a job, or null.
     */
    Member worker(final String jobName, final int rank)
    {
        final Int2ObjectHashMap<Member> workers = workersByJob.get(jobName);
        return null != workers ? workers.get(rank) : null;
    }

    /**
     * @return the member of an id, or null.
     */
    Member member(final int memberId)
    {
        return membersById.get(memberId);
    }

    /**
     * @return members admitted and not gone.
     */
    int size()
    {
        return members.size();
    }

    /**
     * @return the member at an index below {@link #size()}, in the order they were admitted.
     */
    Member get(final int index)
    {
        return members.get(index);
    }

    /**
     * Close every member's outbox, at shutdown.
     */
    void closeAll()
    {
        members.forEach(Member::close);
    }

    private void end(final Member member, final LeaseEnd reason)
    {
        detach(member);
        member.endLease();
        listener.onLeaseEnded(member, reason);
        listener.onRemoved(member);
        member.close();
    }

    private void remove(final Member member)
    {
        detach(member);
        member.endLease();
        listener.onRemoved(member);
        member.close();
    }

    private void detach(final Member member)
    {
        members.remove(member);
        membersById.remove(member.memberId);
        if (membersBySession.get(member.sessionId) == member)
        {
            membersBySession.remove(member.sessionId);
        }
        if (member.role == Role.WORKER && worker(member.jobName, member.rank) == member)
        {
            workersByJob.get(member.jobName).remove(member.rank);
        }
    }
}
