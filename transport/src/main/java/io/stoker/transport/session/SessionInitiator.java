package io.stoker.transport.session;

import io.stoker.codecs.ChallengeDecoder;

import java.util.concurrent.TimeUnit;

/**
 * The initiator's side of a handshake, shared by members joining the coordinator and by workers'
 * data connections: sends the Hello (again every {@link #HELLO_RETRY_NS} until answered), checks the
 * verifier's proof in its Challenge before proving anything itself, answers with its own proof, and
 * from then on seals what it sends and accepts messages only from the verifier's session, sealed.
 * Without a token it accepts the first acceptance and binds to the session it came on. A challenge it
 * cannot answer (no token, or a verifier that did not prove the token) holds the next Hello back for a
 * timeout: such a handshake will not succeed sooner, and should not take the verifier's room meanwhile.
 * <p>
 * The owner drives {@link #doWork} from its duty cycle, passes the Challenge and its acceptance
 * message on, and asks {@link #opener} which sessions may talk to it.
 */
public final class SessionInitiator
{
    /**
     * How long to wait for an answer to a Hello before sending it again.
     */
    public static final long HELLO_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(250);

    /**
     * What came of a challenge.
     */
    public enum ChallengeAnswer
    {
        /**
         * The verifier proved the token and this side answered with its proof.
         */
        ANSWERED,

        /**
         * No handshake of this side waits for it: a stranger's or a stale one.
         */
        UNEXPECTED,

        /**
         * The verifier asks for a token this side does not have.
         */
        NO_TOKEN,

        /**
         * The verifier's proof does not verify: a token differs, or the verifier is an impostor.
         */
        VERIFIER_NOT_PROVEN
    }

    private enum State
    {
        IDLE, HELLO_SENT, PROVED, ESTABLISHED
    }

    private final Service service;
    private final JobToken token;
    private final HandshakeIdentity identity;
    private final Outbox outbox;
    private final SessionPublisher publisher = new SessionPublisher();
    private final long timeoutNs;
    private final byte[] verifierNonce = new byte[SessionKeys.NONCE_LENGTH];
    private final byte[] verifierProof = new byte[SessionKeys.PROOF_LENGTH];
    private State state = State.IDLE;
    private long correlationId;
    private byte[] nonce;
    private long nextHelloNs;
    private long startedNs;
    private long deadlineNs;
    private int verifierSessionId;
    private MessageOpener opener;

    /**
     * @param service   what the session is opened with.
     * @param token     the job token, or null to open sessions only with verifiers that ask for none.
     * @param identity  what this side claims in its Hello.
     * @param outbox    to the verifier; sealed once this side proved itself.
     * @param timeoutNs how long to wait for the acceptance after proving, before starting over.
     */
    public SessionInitiator(
        final Service service,
        final JobToken token,
        final HandshakeIdentity identity,
        final Outbox outbox,
        final long timeoutNs)
    {
        this.service = service;
        this.token = token;
        this.identity = identity;
        this.outbox = outbox;
        this.timeoutNs = timeoutNs;
    }

    /**
     * Send or repeat the Hello while no session is open; start over when an acceptance does not come.
     *
     * @return work done.
     */
    public int doWork(final long nowNs)
    {
        switch (state)
        {
            case IDLE ->
            {
                if (outbox.publication().isConnected())
                {
                    correlationId = SessionKeys.newCorrelationId();
                    nonce = SessionKeys.newNonce();
                    outbox.unseal();
                    outbox.clear();
                    state = State.HELLO_SENT;
                    startedNs = nowNs;
                    return sendHello(nowNs);
                }
                return 0;
            }
            case HELLO_SENT ->
            {
                return nowNs - nextHelloNs >= 0 && outbox.publication().isConnected() ? sendHello(nowNs) : 0;
            }
            case PROVED ->
            {
                if (nowNs - deadlineNs > 0)
                {
                    reset();
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

    /**
     * A Challenge arrived on {@code sessionId}: answer it if the verifier proved the token.
     *
     * @return what came of it; anything but {@link ChallengeAnswer#ANSWERED} left this side unchanged.
     */
    public ChallengeAnswer onChallenge(final int sessionId, final ChallengeDecoder challenge, final long nowNs)
    {
        if (state != State.HELLO_SENT || challenge.correlationId() != correlationId)
        {
            return ChallengeAnswer.UNEXPECTED;
        }
        if (null == token)
        {
            nextHelloNs = nowNs + timeoutNs;
            return ChallengeAnswer.NO_TOKEN;
        }
        challenge.getNonce(verifierNonce, 0, verifierNonce.length);
        challenge.getProof(verifierProof, 0, verifierProof.length);
        final SessionKeys keys = SessionKeys.derive(token, HandshakeTranscript.of(
            service, identity, correlationId, outbox.publication().sessionId(), sessionId, nonce, verifierNonce));
        if (!keys.isVerifierProof(verifierProof))
        {
            nextHelloNs = nowNs + timeoutNs;
            return ChallengeAnswer.VERIFIER_NOT_PROVEN;
        }
        publisher.proof(outbox, correlationId, keys.initiatorProof());
        outbox.seal(keys.sealer(true));
        opener = keys.opener(true);
        verifierSessionId = sessionId;
        deadlineNs = nowNs + timeoutNs;
        state = State.PROVED;
        return ChallengeAnswer.ANSWERED;
    }

    /**
     * The verifier's acceptance (Registered, DataConnected) arrived and passed the gate.
     *
     * @return true when it opens this side's session.
     */
    public boolean onAccepted(final int sessionId, final long acceptedCorrelationId)
    {
        if (acceptedCorrelationId != correlationId)
        {
            return false;
        }
        if (state == State.PROVED && sessionId == verifierSessionId)
        {
            state = State.ESTABLISHED;
            return true;
        }
        if (state == State.HELLO_SENT && null == token)
        {
            verifierSessionId = sessionId;
            opener = MessageOpener.OPEN;
            state = State.ESTABLISHED;
            return true;
        }
        return false;
    }

    /**
     * @param errorCorrelationId what an error response echoes.
     * @return true when it answers this side's handshake in progress.
     */
    public boolean isAnswering(final long errorCorrelationId)
    {
        return (state == State.HELLO_SENT || state == State.PROVED) && errorCorrelationId == correlationId;
    }

    /**
     * Which sessions may talk to this side: the verifier's once bound; before that, anyone when this
     * side has no token (the acceptance binds it), no one when it has one (only the handshake's
     * unsealed messages pass).
     *
     * @return the opener of the session's messages, or null when the session may not talk to this side.
     */
    public MessageOpener opener(final int sessionId)
    {
        if (state == State.PROVED || state == State.ESTABLISHED)
        {
            return sessionId == verifierSessionId ? opener : null;
        }
        return null == token ? MessageOpener.OPEN : null;
    }

    /**
     * Start over with a new Hello on the next duty cycle, as after losing the session.
     */
    public void reset()
    {
        state = State.IDLE;
        opener = null;
    }

    /**
     * @return true once the verifier accepted this side.
     */
    public boolean isEstablished()
    {
        return state == State.ESTABLISHED;
    }

    /**
     * @return when the current handshake attempt sent its first Hello: the verifier accepts it after that.
     */
    public long startedNs()
    {
        return startedNs;
    }

    /**
     * @return the correlation id of the current handshake attempt.
     */
    public long correlationId()
    {
        return correlationId;
    }

    private int sendHello(final long nowNs)
    {
        publisher.hello(outbox, correlationId, identity, nonce);
        nextHelloNs = nowNs + HELLO_RETRY_NS;
        return 1;
    }
}
