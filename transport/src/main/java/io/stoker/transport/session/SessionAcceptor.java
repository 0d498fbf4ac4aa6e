package io.stoker.transport.session;

import io.aeron.Aeron;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.ProofDecoder;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.ArrayList;
import java.util.List;

/**
 * The verifier's side of every handshake of one service (the coordinator's membership, a data
 * server's data connections): the {@link PendingSession}s from Hello to authenticated, moved on by an
 * {@link Authenticator}, and handed to the owner once authenticated.
 * <p>
 * What strangers can make it hold is bounded: at most {@code maxPending} sessions at once (a Hello
 * beyond is refused before anything is created), each for at most the handshake timeout, and every
 * publication a session caused is released however it ends. A Hello names the channel to answer on,
 * which must pass {@link ResponseChannels}.
 */
public final class SessionAcceptor implements AutoCloseable
{
    private final Aeron aeron;
    private final String listenChannel;
    private final Authenticator authenticator;
    private final SessionPublisher publisher;
    private final Refusals refusals;
    private final AtomicCounter sessionsRefused;
    private final AtomicCounter sessionsPending;
    private final int maxPending;
    private final long timeoutNs;
    private final Listener listener;
    private final Int2ObjectHashMap<PendingSession> bySessionId = new Int2ObjectHashMap<>();
    private final List<PendingSession> sessions = new ArrayList<>();

    /**
     * The owner of the sessions once they are authenticated.
     */
    public interface Listener
    {
        /**
         * Look at a Hello before anything is created for it.
         *
         * @return null to go on with the handshake, else one line saying why the claims are refused.
         */
        String screen(HelloDecoder hello);

        /**
         * @param sessionId     the Hello's session.
         * @param correlationId the Hello's handshake attempt.
         * @return true when that attempt already opened the session: the Hello is a late repeat, ignored.
         */
        boolean isOpen(int sessionId, long correlationId);

        /**
         * A session proved itself: take it over (its outbox, now sealed, and its opener), or refuse it
         * with {@link PendingSession#reject}.
         *
         * @return true when taken over; false when refused, and the acceptor releases it once the
         * refusal went out.
         */
        boolean onAuthenticated(PendingSession session, long nowNs);
    }

    /**
     * @param aeron           connected client.
     * @param listenChannel   where Hellos arrive: the media a reply channel must have.
     * @param authenticator   decides who may open a session.
     * @param refusals        counts, answers and logs refused messages.
     * @param sessionsRefused counts handshakes that failed, were refused or ran out of time.
     * @param sessionsPending shows how many handshakes are in progress.
     * @param maxPending      most handshakes in progress at once.
     * @param timeoutNs       how long a handshake may take.
     * @param listener        the owner.
     */
    public SessionAcceptor(
        final Aeron aeron,
        final String listenChannel,
        final Authenticator authenticator,
        final Refusals refusals,
        final AtomicCounter sessionsRefused,
        final AtomicCounter sessionsPending,
        final int maxPending,
        final long timeoutNs,
        final Listener listener)
    {
        this.aeron = aeron;
        this.listenChannel = listenChannel;
        this.authenticator = authenticator;
        this.publisher = new SessionPublisher();
        this.refusals = refusals;
        this.sessionsRefused = sessionsRefused;
        this.sessionsPending = sessionsPending;
        this.maxPending = maxPending;
        this.timeoutNs = timeoutNs;
        this.listener = listener;
    }

    /**
     * A Hello: start a handshake, unless it repeats the one in progress on that session.
     */
    public void onHello(final int sessionId, final HelloDecoder hello, final long nowNs)
    {
        final long correlationId = hello.correlationId();
        final PendingSession existing = bySessionId.get(sessionId);
        if ((null != existing && existing.correlationId() == correlationId) ||
            listener.isOpen(sessionId, correlationId))
        {
            return;
        }
        final String refusal = listener.screen(hello);
        final String hostId = hello.hostId();
        final String responseChannel = hello.responseChannel();
        final String jobName = hello.jobName();
        if (null != refusal)
        {
            refusals.refuse(sessionId, ErrorCode.REGISTRATION_REFUSED, HelloDecoder.TEMPLATE_ID, refusal);
            return;
        }
        final String channelRefusal = ResponseChannels.check(responseChannel, listenChannel);
        if (null != channelRefusal)
        {
            refusals.refuse(sessionId, ErrorCode.REGISTRATION_REFUSED, HelloDecoder.TEMPLATE_ID,
                "reply channel " + Quote.of(responseChannel) + ": " + channelRefusal);
            return;
        }
        if (null != existing)
        {
            remove(existing);
        }
        if (sessions.size() >= maxPending)
        {
            refusals.refuse(sessionId, ErrorCode.BUSY, HelloDecoder.TEMPLATE_ID,
                maxPending + " handshakes in progress already");
            return;
        }

        final long registrationId;
        try
        {
            registrationId = aeron.asyncAddExclusivePublication(responseChannel, hello.responseStreamId());
        }
        catch (final RuntimeException ex)
        {
            refusals.refuse(sessionId, ErrorCode.REGISTRATION_REFUSED, HelloDecoder.TEMPLATE_ID,
                "reply channel " + Quote.of(responseChannel) + ": " + Quote.of(ex.getMessage()));
            return;
        }
        final PendingSession session = new PendingSession(
            aeron, publisher, sessionId, hello, hostId, responseChannel, jobName, registrationId, nowNs + timeoutNs);
        bySessionId.put(sessionId, session);
        sessions.add(session);
        sessionsPending.setOrdered(sessions.size());
    }

    /**
     * A Proof: the authenticator judges it if it answers the challenge of that session's handshake.
     */
    public void onProof(final int sessionId, final ProofDecoder proof, final long nowNs)
    {
        final PendingSession session = bySessionId.get(sessionId);
        if (null == session || session.correlationId() != proof.correlationId() ||
            session.state() != PendingSession.State.CHALLENGED)
        {
            refusals.refuse(sessionId, ErrorCode.AUTHENTICATION_FAILED, ProofDecoder.TEMPLATE_ID,
                "no handshake of this session waits for a proof");
            return;
        }
        authenticator.onProof(session, proof, nowNs);
        if (session.state() == PendingSession.State.REJECTED)
        {
            sessionsRefused.incrementOrdered();
            refusals.refuse(sessionId, ErrorCode.AUTHENTICATION_FAILED, ProofDecoder.TEMPLATE_ID,
                "proof of the job token from " + session.role() + " on " + Quote.of(session.identity().hostId()) +
                " does not verify");
        }
        settle(session, nowNs);
    }

    /**
     * Move handshakes on: resolve publications, challenge connected sessions, hand over authenticated
     * ones, release refused and expired ones.
     *
     * @return work done.
     */
    public int doWork(final long nowNs)
    {
        int work = 0;
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            final PendingSession session = sessions.get(i);
            try
            {
                work += session.poll();
            }
            catch (final RuntimeException ex)
            {
                fail(session, "cannot answer on " + Quote.of(session.identity().responseChannel()) + ": " +
                    Quote.of(ex.getMessage()));
                continue;
            }
            if (session.state() == PendingSession.State.CONNECTING && session.isConnected())
            {
                authenticator.onConnectedSession(session, nowNs);
                work++;
            }
            work += settle(session, nowNs);
            if (bySessionId.get(session.sessionId()) == session && session.isExpired(nowNs))
            {
                fail(session, "handshake of " + session.role() + " from " + Quote.of(session.identity().hostId()) +
                    " did not complete in time (" + session.state() + ")");
            }
        }
        return work;
    }

    /**
     * @return handshakes in progress.
     */
    public int pendingCount()
    {
        return sessions.size();
    }

    @Override
    public void close()
    {
        sessions.forEach(CloseHelper::quietClose);
        sessions.clear();
        bySessionId.clear();
    }

    private int settle(final PendingSession session, final long nowNs)
    {
        switch (session.state())
        {
            case AUTHENTICATED ->
            {
                if (listener.onAuthenticated(session, nowNs))
                {
                    session.handOver();
                    remove(session);
                    return 1;
                }
                sessionsRefused.incrementOrdered();
                if (session.state() != PendingSession.State.REJECTED)
                {
                    session.reject(ErrorCode.REGISTRATION_REFUSED, "refused");
                }
                return 1;
            }
            case REJECTED ->
            {
                if (!session.outbox().hasPending())
                {
                    remove(session);
                    return 1;
                }
                return 0;
            }
            default ->
            {
                return 0;
            }
        }
    }

    private void fail(final PendingSession session, final String reason)
    {
        if (session.state() != PendingSession.State.REJECTED)
        {
            sessionsRefused.incrementOrdered();
            refusals.report(reason);
        }
        remove(session);
    }

    private void remove(final PendingSession session)
    {
        if (bySessionId.get(session.sessionId()) == session)
        {
            bySessionId.remove(session.sessionId());
        }
        sessions.remove(session);
        session.close();
        sessionsPending.setOrdered(sessions.size());
    }
}
