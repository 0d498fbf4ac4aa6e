package io.stoker.coordinator;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.stoker.codecs.ErrorCode;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.session.RestartNotice;
import io.stoker.transport.session.SessionPublisher;
import io.stoker.transport.wire.JobNames;
import org.agrona.CloseHelper;
import org.agrona.collections.Int2ObjectHashMap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each admitted member listens, by the session id of its publication, kept beside the checkpoint (written
 * by the {@link JournalAgent}) so that a restarted coordinator can answer a member of its previous incarnation at
 * once: the first message it gets on a session it does not know, from a member it remembers, is answered with an
 * unsealed {@code ErrorResponse(UNKNOWN_SESSION)} carrying a {@link RestartNotice} proof, at most once a
 * heartbeat interval per session; the member registers again instead of waiting a lease. What the previous
 * incarnation knew is forgotten once its member registers again, or after a lease, by when every live member
 * has. The file is a hint: a member not in it (or a file lost) registers again a lease later, as before.
 */
final class MemberRoutes implements AutoCloseable
{
    static final String FILE_NAME = "coordinator.members";

    private final Aeron aeron;
    private final JobToken token;
    private final long noticeIntervalNs;
    private final SessionPublisher publisher = new SessionPublisher();
    private final Int2ObjectHashMap<Route> bySession = new Int2ObjectHashMap<>();
    private final List<Route> pending = new ArrayList<>();
    private long forgetPreviousAtNs;
    private boolean dirty;

    private static final class Route
    {
        final int sessionId;
        final long correlationId;
        final String channel;
        final int streamId;
        final String jobName;
        final boolean previous;
        long registrationId = Aeron.NULL_VALUE;
        Outbox outbox;
        long nextNoticeNs;
        int refusedTemplateId;

        Route(final int sessionId, final long correlationId, final String channel, final int streamId,
            final String jobName, final boolean previous)
        {
            this.sessionId = sessionId;
            this.correlationId = correlationId;
            this.channel = channel;
            this.streamId = streamId;
            this.jobName = jobName;
            this.previous = previous;
        }
    }

    /**
     * @param previous the file's bytes as the previous incarnation left them, or null.
     */
    MemberRoutes(final Aeron aeron, final JobToken token, final long noticeIntervalNs, final byte[] previous,
        final long forgetPreviousAtNs)
    {
        this.aeron = aeron;
        this.token = token;
        this.noticeIntervalNs = noticeIntervalNs;
        this.forgetPreviousAtNs = forgetPreviousAtNs;
        if (null != previous)
        {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(previous)))
            {
                for (int i = 0, count = in.readInt(); i < count; i++)
                {
                    final Route route = new Route(
                        in.readInt(), in.readLong(), in.readUTF(), in.readInt(), JobNames.check(in.readUTF()), true);
                    bySession.put(route.sessionId, route);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("the members of the previous coordinator: " + ex.getMessage(), ex);
            }
        }
    }

    /**
     * A member was admitted: remember where it listens and its job (whose token proves a restart notice to it);
     * what the previous incarnation knew of it is done with.
     */
    void admitted(
        final int sessionId, final long correlationId, final String channel, final int streamId, final String jobName)
    {
        bySession.values().removeIf(route ->
        {
            final boolean same = route.previous && route.channel.equals(channel) && route.streamId == streamId;
            if (same)
            {
                CloseHelper.quietClose(route.outbox);
            }
            return same;
        });
        bySession.put(sessionId, new Route(sessionId, correlationId, channel, streamId, jobName, false));
        dirty = true;
    }

    /**
     * A member of this incarnation left.
     */
    void removed(final int sessionId)
    {
        final Route route = bySession.get(sessionId);
        if (null != route && !route.previous)
        {
            bySession.remove(sessionId);
            dirty = true;
        }
    }

    /**
     * A message came on a session no member of this incarnation holds: when a member of the previous incarnation
     * held it, tell that member to register again (paced).
     *
     * @return true when the session was a remembered member's.
     */
    boolean onUnknownSession(final int sessionId, final int templateId, final long nowNs)
    {
        final Route route = bySession.get(sessionId);
        if (null == route || !route.previous)
        {
            return false;
        }
        if (nowNs - route.nextNoticeNs >= 0)
        {
            route.nextNoticeNs = nowNs + noticeIntervalNs;
            route.refusedTemplateId = templateId;
            if (null != route.outbox)
            {
                notify(route);
            }
            else if (route.registrationId == Aeron.NULL_VALUE)
            {
                route.registrationId = aeron.asyncAddExclusivePublication(route.channel, route.streamId);
                pending.add(route);
            }
        }
        return true;
    }

    /**
     * Take publications that became ready, send their notices, forget the previous incarnation's members after a
     * lease.
     *
     * @return work done.
     */
    int doWork(final long nowNs)
    {
        int work = 0;
        for (int i = pending.size() - 1; i >= 0; i--)
        {
            final Route route = pending.get(i);
            final ExclusivePublication publication = aeron.getExclusivePublication(route.registrationId);
            if (null != publication)
            {
                pending.remove(i);
                route.outbox = new Outbox(publication);
                notify(route);
                work++;
            }
        }
        for (final Route route : bySession.values())
        {
            if (null != route.outbox)
            {
                work += route.outbox.drain();
            }
        }
        if (Aeron.NULL_VALUE != forgetPreviousAtNs && nowNs - forgetPreviousAtNs > 0)
        {
            forgetPreviousAtNs = Aeron.NULL_VALUE;
            pending.clear();
            bySession.values().removeIf(route ->
            {
                if (route.previous)
                {
                    CloseHelper.quietClose(route.outbox);
                }
                return route.previous;
            });
            dirty = true;
        }
        return work;
    }

    /**
     * @return the routes to write when they changed since last asked, else null.
     */
    byte[] changed()
    {
        if (!dirty)
        {
            return null;
        }
        dirty = false;
        try
        {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(bySession.size());
            for (final Route route : bySession.values())
            {
                out.writeInt(route.sessionId);
                out.writeLong(route.correlationId);
                out.writeUTF(route.channel);
                out.writeInt(route.streamId);
                out.writeUTF(route.jobName);
            }
            out.flush();
            return bytes.toByteArray();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close()
    {
        bySession.values().forEach(route -> CloseHelper.quietClose(route.outbox));
    }

    private void notify(final Route route)
    {
        final JobToken jobToken = null != token ? token.forJob(route.jobName) : null;
        publisher.errorResponse(route.outbox, RestartNotice.proof(jobToken, route.correlationId, route.sessionId),
            ErrorCode.UNKNOWN_SESSION, route.refusedTemplateId, "the coordinator restarted and does not know this " +
            "session: register again");
    }
}
