package io.stoker.transport.control;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import org.agrona.CloseHelper;

import java.util.concurrent.TimeUnit;

/**
 * A member's side of its relationship with the coordinator, shared by workers, data servers and
 * clients: the publication to the coordinator, the subscription for its replies, registration
 * (repeated until answered, answering the coordinator's token challenge, and again after a lease
 * expiry or when the coordinator's own heartbeats stop) and heartbeats.
 * <p>
 * The publication is exclusive: its session id names this member to the coordinator, also when
 * several members share one Aeron client.
 * <p>
 * The owning agent calls {@link #doWork(long)} from its duty cycle and passes the session's
 * messages to {@link #onRegistered}, {@link #onLeaseExpired} and {@link #onErrorResponse}.
 */
public final class MemberSession implements AutoCloseable
{
    /**
     * How long to wait for an answer to a registration before asking again.
     */
    public static final long REGISTER_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(250);

    private static final byte[] NO_PROOF = new byte[0];

    private final Aeron aeron;
    private final ControlPublisher publisher;
    private final Outbox outbox;
    private final Subscription subscription;
    private final Role role;
    private final int rank;
    private final byte transports;
    private final String hostId;
    private final String responseChannel;
    private final int responseStreamId;
    private long registerCorrelationId = Aeron.NULL_VALUE;
    private long nextRegisterNs;
    private long nextHeartbeatNs;
    private long heartbeatIntervalNs;
    private long leaseTimeoutNs;
    private long lastCoordinatorHeartbeatNs;
    private final JobToken token;
    private byte[] proof = NO_PROOF;
    private int memberId = Aeron.NULL_VALUE;
    private int registrations;

    /**
     * Connect to the coordinator. Blocks for the driver round trips that create the publication and
     * subscription: call at start-up.
     *
     * @param aeron              connected client.
     * @param publisher          the owning agent's publisher.
     * @param coordinatorChannel where the coordinator listens.
     * @param responseChannel    where this member listens for the coordinator's messages.
     * @param responseStreamId   stream for those messages; unique per member on a shared channel.
     * @param role               what this member is.
     * @param rank               the worker's rank, -1 for other roles.
     * @param transports         data-plane transports this member can use or serve.
     * @param hostId             this host's id.
     * @param token              the job token, or null when the coordinator asks for none.
     */
    public MemberSession(
        final Aeron aeron,
        final ControlPublisher publisher,
        final String coordinatorChannel,
        final String responseChannel,
        final int responseStreamId,
        final Role role,
        final int rank,
        final byte transports,
        final String hostId,
        final JobToken token)
    {
        this.token = token;
        this.aeron = aeron;
        this.publisher = publisher;
        this.responseChannel = responseChannel;
        this.responseStreamId = responseStreamId;
        this.role = role;
        this.rank = rank;
        this.transports = transports;
        this.hostId = hostId;
        subscription = aeron.addSubscription(responseChannel, responseStreamId);
        outbox = new Outbox(aeron.addExclusivePublication(coordinatorChannel, ControlProtocol.COORDINATOR_STREAM_ID));
    }

    /**
     * Register when not registered, heartbeat when registered.
     *
     * @param nowNs current time from a nano clock.
     * @return work done.
     */
    public int doWork(final long nowNs)
    {
        int work = outbox.drain();
        if (isRegistered() && nowNs - lastCoordinatorHeartbeatNs > leaseTimeoutNs)
        {
            reset();
            work++;
        }
        if (!isRegistered())
        {
            if (nowNs - nextRegisterNs >= 0 && outbox.publication().isConnected())
            {
                registerCorrelationId = aeron.nextCorrelationId();
                proof = NO_PROOF;
                outbox.clear();
                sendRegister();
                nextRegisterNs = nowNs + REGISTER_RETRY_NS;
                work++;
            }
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
     * @param decoder a Registered message received on this member's subscription.
     * @param nowNs   current time.
     * @return true when it answers this member's latest registration: the member is registered now.
     */
    public boolean onRegistered(final RegisteredDecoder decoder, final long nowNs)
    {
        if (decoder.correlationId() != registerCorrelationId)
        {
            return false;
        }
        memberId = decoder.memberId();
        heartbeatIntervalNs = decoder.heartbeatIntervalNs();
        leaseTimeoutNs = decoder.leaseTimeoutNs();
        nextHeartbeatNs = nowNs + heartbeatIntervalNs;
        lastCoordinatorHeartbeatNs = nowNs;
        registrations++;
        return true;
    }

    /**
     * Answer the coordinator's challenge with the job token's proof.
     *
     * @param decoder a Challenge received on this member's subscription.
     * @return false when the challenge asks for a token this member does not have.
     */
    public boolean onChallenge(final ChallengeDecoder decoder)
    {
        if (decoder.correlationId() != registerCorrelationId || isRegistered())
        {
            return true;
        }
        if (null == token)
        {
            return false;
        }
        final byte[] nonce = new byte[decoder.nonceLength()];
        decoder.getNonce(nonce, 0, nonce.length);
        proof = token.prove(nonce);
        sendRegister();
        return true;
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
            lastCoordinatorHeartbeatNs = nowNs;
        }
        return fragments;
    }

    /**
     * The coordinator's heartbeat: while they come, the coordinator that registered this member lives.
     * When none came for a lease, the member registers again (with a restarted coordinator).
     */
    public void onHeartbeat(final HeartbeatDecoder decoder, final long nowNs)
    {
        if (decoder.memberId() == memberId)
        {
            lastCoordinatorHeartbeatNs = nowNs;
        }
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
        memberId = Aeron.NULL_VALUE;
        nextRegisterNs = 0;
        return true;
    }

    /**
     * @param decoder an error from the coordinator.
     * @return true when it refuses this member's registration.
     */
    public boolean onErrorResponse(final ErrorResponseDecoder decoder)
    {
        return !isRegistered() && decoder.correlationId() == registerCorrelationId;
    }

    /**
     * Forget the registration, as after the coordinator restarted: the next duty cycle registers again.
     */
    public void reset()
    {
        memberId = Aeron.NULL_VALUE;
        nextRegisterNs = 0;
    }

    private void sendRegister()
    {
        publisher.register(
            outbox, registerCorrelationId, role, rank, responseStreamId, transports, hostId, responseChannel, proof);
    }

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

    public void close()
    {
        CloseHelper.closeAll(outbox, subscription);
    }
}
