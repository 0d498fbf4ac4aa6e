package io.stoker.transport.session;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.Role;
import org.agrona.CloseHelper;

/**
 * One session on the verifier's side from its Hello until it is authenticated or given up: the reply
 * publication (created asynchronously, released however the handshake ends), the claims of the Hello,
 * the nonces and, once derived, the keys. An {@link Authenticator} moves it on by calling
 * {@link #challenge}, {@link #authenticate} or {@link #reject}.
 */
public final class PendingSession implements AutoCloseable
{
    /**
     * Where a handshake stands.
     */
    public enum State
    {
        /**
         * Waiting for the reply publication to exist and connect.
         */
        CONNECTING,

        /**
         * The challenge went out; waiting for the proof.
         */
        CHALLENGED,

        /**
         * The initiator is who it claims to be; the owner takes the session over.
         */
        AUTHENTICATED,

        /**
         * Refused: the refusal goes out, then the session is released.
         */
        REJECTED
    }

    private final Aeron aeron;
    private final SessionPublisher publisher;
    private final int sessionId;
    private final long correlationId;
    private final HandshakeIdentity identity;
    private final byte[] initiatorNonce = new byte[SessionKeys.NONCE_LENGTH];
    private final long registrationId;
    private final long deadlineNs;
    private State state = State.CONNECTING;
    private Outbox outbox;
    private SessionKeys keys;
    private MessageOpener opener;
    private boolean handedOver;

    PendingSession(
        final Aeron aeron,
        final SessionPublisher publisher,
        final int sessionId,
        final HelloDecoder hello,
        final String hostId,
        final String responseChannel,
        final String jobName,
        final long registrationId,
        final long deadlineNs)
    {
        this.aeron = aeron;
        this.publisher = publisher;
        this.sessionId = sessionId;
        this.correlationId = hello.correlationId();
        this.identity = new HandshakeIdentity(hello.role(), hello.rank(), (byte)hello.transports().getRaw(),
            hello.responseStreamId(), hostId, responseChannel, hello.incarnation(), jobName);
        hello.getNonce(initiatorNonce, 0, initiatorNonce.length);
        this.registrationId = registrationId;
        this.deadlineNs = deadlineNs;
    }

    /**
     * Send the challenge: the verifier's nonce and its proof under the keys derived for this session.
     */
    public void challenge(final byte[] verifierNonce, final SessionKeys keys)
    {
        this.keys = keys;
        publisher.challenge(outbox, correlationId, verifierNonce, keys.verifierProof());
        state = State.CHALLENGED;
    }

    /**
     * Accept the initiator.
     *
     * @param keys the session's keys, or null for a session admitted without a token.
     */
    public void authenticate(final SessionKeys keys)
    {
        if (null != keys)
        {
            outbox.seal(keys.sealer(false));
            opener = keys.opener(false);
        }
        else
        {
            opener = MessageOpener.OPEN;
        }
        state = State.AUTHENTICATED;
    }

    /**
     * Refuse the initiator: the error response goes out, then the session is released.
     */
    public void reject(final ErrorCode code, final String reason)
    {
        if (null != outbox)
        {
            publisher.errorResponse(outbox, correlationId, code, -1, reason);
        }
        state = State.REJECTED;
    }

    /**
     * @return the session id of the initiator's publication.
     */
    public int sessionId()
    {
        return sessionId;
    }

    /**
     * @return the handshake attempt the Hello named; the answers echo it.
     */
    public long correlationId()
    {
        return correlationId;
    }

    /**
     * @return what the initiator claimed in its Hello.
     */
    public HandshakeIdentity identity()
    {
        return identity;
    }

    /**
     * @return the initiator's role.
     */
    public Role role()
    {
        return identity.role();
    }

    /**
     * @return the session id of this side's reply publication.
     */
    public int verifierSessionId()
    {
        return outbox.publication().sessionId();
    }

    /**
     * @return the reply outbox, sealed once authenticated; the owner takes it over.
     */
    public Outbox outbox()
    {
        return outbox;
    }

    /**
     * @return the opener of the initiator's messages, once authenticated.
     */
    public MessageOpener opener()
    {
        return opener;
    }

    /**
     * @return where the handshake stands.
     */
    public State state()
    {
        return state;
    }

    SessionKeys keys()
    {
        return keys;
    }

    byte[] initiatorNonce()
    {
        return initiatorNonce;
    }

    boolean isConnected()
    {
        return null != outbox && outbox.publication().isConnected();
    }

    boolean isExpired(final long nowNs)
    {
        return nowNs - deadlineNs > 0;
    }

    /**
     * Resolve the reply publication once the driver made it, and send what waits.
     *
     * @return work done.
     * @throws io.aeron.exceptions.RegistrationException when the driver refused the publication.
     */
    int poll()
    {
        if (null == outbox)
        {
            final ExclusivePublication publication = aeron.getExclusivePublication(registrationId);
            if (null == publication)
            {
                return 0;
            }
            outbox = new Outbox(publication);
        }
        return outbox.drain();
    }

    /**
     * The owner took the session over: closing the pending session leaves the publication to it.
     */
    void handOver()
    {
        handedOver = true;
    }

    @Override
    public void close()
    {
        if (handedOver)
        {
            return;
        }
        if (null != outbox)
        {
            CloseHelper.quietClose(outbox);
        }
        else
        {
            aeron.asyncRemovePublication(registrationId);
        }
    }
}
