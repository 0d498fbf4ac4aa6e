package io.stoker.transport.control;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.session.RestartNotice;
import io.stoker.transport.session.Service;
import io.stoker.transport.session.SessionDirectory;
import io.stoker.transport.session.SessionInitiator;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;

import java.util.concurrent.TimeUnit;

/**
 * A member's side of its relationship with the coordinator, shared by workers, data servers and
 * clients: the publication to the coordinator, the subscription for its replies, the session (opened
 * by a {@link SessionInitiator}: both sides prove the job token, then every message is sealed, and
 * only the coordinator's session may talk to this member), registration (again after a lease expiry,
 * when the coordinator's messages stop for a lease, or at once when a restarted coordinator answers that it
 * does not know the session, with a {@link RestartNotice}) and heartbeats.
 * <p>
 * The publication is exclusive: its session id names this member to the coordinator, also when
 * several members share one Aeron client.
 * <p>
 * The owning agent calls {@link #doWork(long)} from its duty cycle, polls its adapter through
 * {@link #poll}, passes the session's messages to {@link #onRegistered}, {@link #onChallenge},
 * {@link #onHeartbeat}, {@link #onLeaseExpired} and {@link #onErrorResponse}, and gives this session
 * to its adapter as the {@link SessionDirectory}. What of those messages answers nothing of this
 * member's is refused here, so every role counts it alike.
 */
public final class MemberSession implements SessionDirectory, AutoCloseable
{
    /**
     * How long a handshake may wait for the coordinator's acceptance before it starts over.
     */
    public static final long HANDSHAKE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /**
     * Where an error response came from.
     */
    public enum ErrorSource
    {
        /**
         * The coordinator refused this member's handshake.
         */
        HANDSHAKE,

        /**
         * The coordinator reported an error on the open session.
         */
        COORDINATOR,

        /**
         * A restarted coordinator that does not know this member's session, with a proof of the job token bound
         * to this member's registration (a {@link RestartNotice}): the member forgot its registration and registers
         * again at once, instead of a lease later.
         */
        RESTARTED,

        /**
         * Neither: it was refused and counted.
         */
        STRANGER
    }

    private final ControlPublisher publisher;
    private final Refusals refusals;
    private final Outbox outbox;
    private final Subscription subscription;
    private final SessionInitiator initiator;
    private final JobToken token;
    private long nextHeartbeatNs;
    private long heartbeatIntervalNs;
    private long leaseTimeoutNs;
    private long lastCoordinatorMessageNs;
    private int memberId = Aeron.NULL_VALUE;
    private int registrations;

    /**
     * Connect to the coordinator. Blocks for the driver round trips that create the publication and
     * subscription: call at start-up.
     *
     * @param aeron              connected client.
     * @param publisher          the owning agent's publisher.
     * @param coordinatorChannel where the coordinator listens.
     * @param identity           what this member is and where it listens.
     * @param token              the job token, or null when the coordinator asks for none.
     * @param refusals           the member's refusals, for the session's messages that answer nothing of it.
     */
    public MemberSession(
        final Aeron aeron,
        final ControlPublisher publisher,
        final String coordinatorChannel,
        final HandshakeIdentity identity,
        final JobToken token,
        final Refusals refusals)
    {
        this.publisher = publisher;
        this.refusals = refusals;
        this.token = token;
        subscription = aeron.addSubscription(identity.responseChannel(), identity.responseStreamId());
        outbox = new Outbox(aeron.addExclusivePublication(coordinatorChannel, ControlProtocol.COORDINATOR_STREAM_ID));
        initiator = new SessionInitiator(Service.COORDINATOR, token, identity, outbox, HANDSHAKE_TIMEOUT_NS);
    }

    /**
     * Open the session when there is none, heartbeat when registered.
     *
     * @param nowNs current time from a nano clock.
     * @return work done.
     */
    public int doWork(final long nowNs)
    {
        int work = outbox.drain();
        if (isRegistered() && nowNs - lastCoordinatorMessageNs > leaseTimeoutNs)
        {
            reset();
            work++;
        }
        if (!isRegistered())
        {
            work += initiator.doWork(nowNs);
        }
        else if (nowNs - nextHeartbeatNs >= 0)
        {
            publisher.heartbeat(outbox, memberId, nowNs);
            nextHeartbeatNs = nowNs + heartbeatIntervalNs;
            work++;
        }
        return work;
    }

    /**
     * @param sessionId the session it came on.
     * @param decoder   a Registered message that passed the gate.
     * @param nowNs     current time.
     * @return true when it answers this member's handshake: the member is registered now; false after
     * refusing it.
     */
    public boolean onRegistered(final int sessionId, final RegisteredDecoder decoder, final long nowNs)
    {
        if (isRegistered() || !initiator.onAccepted(sessionId, decoder.correlationId()))
        {
            refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(),
                "an acceptance that answers no handshake of this member's");
            return false;
        }
        memberId = decoder.memberId();
        heartbeatIntervalNs = decoder.heartbeatIntervalNs();
        leaseTimeoutNs = decoder.leaseTimeoutNs();
        nextHeartbeatNs = nowNs + heartbeatIntervalNs;
        lastCoordinatorMessageNs = nowNs;
        registrations++;
        return true;
    }

    /**
     * Answer the coordinator's challenge, if it proved the job token; a challenge that answers nothing
     * of this member's, or whose proof does not verify, is refused.
     *
     * @return what came of it: the owner tells its user when this member has no token.
     */
    public SessionInitiator.ChallengeAnswer onChallenge(
        final int sessionId, final ChallengeDecoder decoder, final long nowNs)
    {
        final SessionInitiator.ChallengeAnswer answer = initiator.onChallenge(sessionId, decoder, nowNs);
        switch (answer)
        {
            case UNEXPECTED -> refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(),
                "no handshake of this member waits for this challenge");
            case VERIFIER_NOT_PROVEN -> refusals.refuse(sessionId, ErrorCode.AUTHENTICATION_FAILED,
                decoder.sbeTemplateId(), "the coordinator did not prove the job token: the token files differ, " +
                "or it is not the job's coordinator");
            default ->
            {
            }
        }
        return answer;
    }

    /**
     * Poll the coordinator's messages: any message from it, not only its heartbeat, shows it lives (a
     * heartbeat can wait behind a burst of assignments).
     *
     * @return fragments read.
     */
    public int poll(final ControlAdapter adapter, final int fragmentLimit, final long nowNs)
    {
        final int fragments = adapter.poll(fragmentLimit);
        if (fragments > 0 && isRegistered())
        {
            lastCoordinatorMessageNs = nowNs;
        }
        return fragments;
    }

    /**
     * The coordinator's heartbeat: while they come, the coordinator that registered this member lives.
     * When none came for a lease, the member registers again (with a restarted coordinator). One that
     * names another member is refused.
     *
     * @return true when it is this member's: its echo may be read.
     */
    public boolean onHeartbeat(final int sessionId, final HeartbeatDecoder decoder, final long nowNs)
    {
        if (decoder.memberId() != memberId)
        {
            refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(),
                "a heartbeat for member " + decoder.memberId() + ", this is member " + memberId);
            return false;
        }
        lastCoordinatorMessageNs = nowNs;
        return true;
    }

    /**
     * @param decoder a LeaseExpired message.
     * @return true when it names this member, which then registers again.
     */
    public boolean onLeaseExpired(final LeaseExpiredDecoder decoder)
    {
        if (decoder.memberId() != memberId)
        {
            return false;
        }
        reset();
        return true;
    }

    /**
     * @param sessionId the session it came on.
     * @param decoder   an error response that passed the gate.
     * @return where it came from; one that answers nothing of this member's is refused.
     */
    public ErrorSource onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        if (!isRegistered() && initiator.isAnswering(decoder.correlationId()))
        {
            return ErrorSource.HANDSHAKE;
        }
        if (null != initiator.opener(sessionId))
        {
            return ErrorSource.COORDINATOR;
        }
        if (isRegistered() && decoder.code() == ErrorCode.UNKNOWN_SESSION && decoder.correlationId() ==
            RestartNotice.proof(token, initiator.correlationId(), outbox.publication().sessionId()))
        {
            reset();
            return ErrorSource.RESTARTED;
        }
        refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(),
            "an error response that answers nothing of this member's");
        return ErrorSource.STRANGER;
    }

    /**
     * Forget the registration, as after the coordinator restarted: the next duty cycle opens a new session.
     */
    public void reset()
    {
        memberId = Aeron.NULL_VALUE;
        initiator.reset();
    }

    @Override
    public MessageOpener opener(final int sessionId)
    {
        return initiator.opener(sessionId);
    }

    /**
     * @return true while the coordinator counts this member as registered.
     */
    public boolean isRegistered()
    {
        return memberId != Aeron.NULL_VALUE;
    }

    /**
     * @return the id the coordinator gave this member, or {@link Aeron#NULL_VALUE} when not registered.
     */
    public int memberId()
    {
        return memberId;
    }

    /**
     * @return when the handshake of the current (or last) registration sent its first Hello: the coordinator
     * granted the lease after that.
     */
    public long handshakeStartedNs()
    {
        return initiator.startedNs();
    }

    /**
     * @return the correlation id of the handshake that registered this member (or is registering it): the
     * coordinator names its lease by it, and a worker proves it to data servers on its rdma connections.
     */
    public long registrationCorrelationId()
    {
        return initiator.correlationId();
    }

    /**
     * @return how many times the coordinator accepted this member, to tell a first registration from a later one.
     */
    public int registrations()
    {
        return registrations;
    }

    /**
     * @return the outbox of messages to the coordinator.
     */
    public Outbox outbox()
    {
        return outbox;
    }

    /**
     * @return the subscription on which the coordinator's messages arrive.
     */
    public Subscription subscription()
    {
        return subscription;
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(outbox, subscription);
    }
}
