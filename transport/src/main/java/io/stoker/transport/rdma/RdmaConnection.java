package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvContext;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.SVCRegMr;
import io.stoker.transport.session.RdmaConnectProof;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A data server's side of one worker's RDMA connection. It has its own protection domain: its queue pair and the
 * registrations of the server's regions it is given are in it, so its keys are good on this connection only (a
 * key learnt from another connection is refused by the NIC here, and this one's keys nowhere else). It starts
 * {@link #PROVING}: a fresh random challenge is drawn and a receive for the worker's {@link RdmaConnectProof} is
 * posted before the connection is accepted, and nothing is registered for it yet; once established it sends the
 * worker the challenge ({@link #challenge}), which the proof must cover. Once the proof verified it
 * {@link #serve}s: every region is
 * registered for it, read-only, and the key table sent back. When its worker's lease ends it is
 * {@link #revoke}d: the registrations are gone, so the worker's next READ fails on the NIC with a remote access
 * error; the queue pair stays until the worker disconnects, or a linger later.
 */
final class RdmaConnection
{
    static final int PROVING = 0;
    static final int SERVING = 1;
    static final int REVOKED = 2;

    /**
     * Low bit of a work request id: the receive of the proof.
     */
    static final long RECEIVE = 0;

    /**
     * Low bit of a work request id: the send of the challenge or of the key table.
     */
    static final long SEND = 1;

    /**
     * Where the handshake's receive and the key table are in its memory: after the challenge.
     */
    private static final int EXCHANGE_OFFSET = RdmaConnectProof.NONCE_LENGTH;

    private final long serial;
    private final RdmaCmId id;
    private final IbvPd protectionDomain;
    private final ByteBuffer handshake;
    private final UnsafeBuffer handshakeView;
    private final UnsafeBuffer nonceView;
    private final IbvMr handshakeRegistration;
    private final List<IbvMr> keys = new ArrayList<>();
    private int state = PROVING;
    private long revokedAtNs;

    private RdmaConnection(
        final long serial,
        final RdmaCmId id,
        final IbvPd protectionDomain,
        final ByteBuffer handshake,
        final IbvMr handshakeRegistration)
    {
        this.serial = serial;
        this.id = id;
        this.protectionDomain = protectionDomain;
        this.handshake = handshake;
        this.handshakeView = new UnsafeBuffer(handshake, EXCHANGE_OFFSET, handshake.capacity() - EXCHANGE_OFFSET);
        this.nonceView = new UnsafeBuffer(handshake, 0, RdmaConnectProof.NONCE_LENGTH);
        this.handshakeRegistration = handshakeRegistration;
    }

    /**
     * Set a connection request up (protection domain, queue pair, the proof's receive) and accept it.
     *
     * @param serial          names the connection in its work request ids.
     * @param id              the connection request's id.
     * @param context         the device.
     * @param completionQueue the server's.
     * @param regions         regions the server exports over rdma: sizes the key table.
     * @param random          draws the connection's challenge.
     * @return the connection.
     * @throws IOException when a verbs call failed; what was set up is released, the id destroyed.
     */
    static RdmaConnection accept(
        final long serial,
        final RdmaCmId id,
        final IbvContext context,
        final IbvCQ completionQueue,
        final int regions,
        final Random random)
        throws IOException
    {
        IbvPd protectionDomain = null;
        final ByteBuffer handshake = ByteBuffer.allocateDirect(
            EXCHANGE_OFFSET + Math.max(RdmaConnectProof.MAX_LENGTH, RdmaKeyTable.length(regions)));
        final byte[] nonce = new byte[RdmaConnectProof.NONCE_LENGTH];
        random.nextBytes(nonce);
        handshake.put(0, nonce);
        final IbvMr handshakeRegistration;
        try
        {
            protectionDomain = context.allocPd();
            handshakeRegistration = register(protectionDomain, handshake, IbvMr.IBV_ACCESS_LOCAL_WRITE);
        }
        catch (final IOException ex)
        {
            if (null != protectionDomain)
            {
                deallocate(protectionDomain);
            }
            id.destroyId();
            throw ex;
        }
        final RdmaConnection connection =
            new RdmaConnection(serial, id, protectionDomain, handshake, handshakeRegistration);
        try
        {
            // the challenge's send and the key table's
            id.createQP(protectionDomain, RdmaDevice.queuePairAttributes(completionQueue, 2));
            connection.postReceive();
            id.accept(RdmaDevice.connectionParameters());
        }
        catch (final IOException ex)
        {
            connection.close();
            throw ex;
        }
        return connection;
    }

    long serial()
    {
        return serial;
    }

    RdmaCmId id()
    {
        return id;
    }

    int state()
    {
        return state;
    }

    /**
     * @return when it was revoked.
     */
    long revokedAtNs()
    {
        return revokedAtNs;
    }

    /**
     * @return where the worker's proof arrived.
     */
    UnsafeBuffer handshake()
    {
        return handshakeView;
    }

    /**
     * @return this connection's challenge, which the worker's proof must cover.
     */
    UnsafeBuffer nonce()
    {
        return nonceView;
    }

    /**
     * The connection is established (rdma_cm says so once): send the worker its challenge (it posted a receive for
     * it before connecting). Not before: until the worker's side handed out its established event its queue pair may
     * not take it.
     *
     * @throws IOException when the send could not be posted (the caller closes the connection).
     */
    void challenge() throws IOException
    {
        if (PROVING == state)
        {
            send(0, RdmaConnectProof.NONCE_LENGTH);
        }
    }

    /**
     * Register every region for this connection and send the worker their keys.
     *
     * @param mappings  the server's mapped regions.
     * @param regionIds their ids, in the same order.
     * @throws IOException when a registration or the send failed (the caller closes the connection).
     */
    void serve(final List<MappedByteBuffer> mappings, final int[] regionIds) throws IOException
    {
        final int[] rkeys = new int[mappings.size()];
        for (int i = 0; i < rkeys.length; i++)
        {
            final IbvMr key = register(protectionDomain, mappings.get(i), IbvMr.IBV_ACCESS_REMOTE_READ);
            keys.add(key);
            rkeys[i] = key.getRkey();
        }
        final int length = RdmaKeyTable.write(handshakeView, 0, regionIds, rkeys, rkeys.length);
        send(EXCHANGE_OFFSET, length);
        state = SERVING;
    }

    /**
     * The worker's lease ended: deregister its keys (from now on the NIC refuses its READs). The queue pair stays
     * until {@link #close}.
     *
     * @return why a deregistration failed, or null.
     */
    String revoke(final long nowNs)
    {
        state = REVOKED;
        revokedAtNs = nowNs;
        String failure = null;
        for (final IbvMr key : keys)
        {
            try
            {
                key.deregMr().execute().free();
            }
            catch (final IOException ex)
            {
                failure = "deregistering a key of connection " + serial + ": " + ex.getMessage();
            }
        }
        keys.clear();
        return failure;
    }

    /**
     * Disconnect and release everything of the connection.
     *
     * @return why a release failed, or null.
     */
    String close()
    {
        String failure = revoke(revokedAtNs);
        if (null != id.getQp())
        {
            try
            {
                id.disconnect();
            }
            catch (final IOException ex)
            {
                failure = "disconnecting connection " + serial + ": " + ex.getMessage();
            }
        }
        try
        {
            if (null != id.getQp())
            {
                id.destroyQP();
            }
            id.destroyId();
        }
        catch (final IOException ex)
        {
            failure = "closing connection " + serial + ": " + ex.getMessage();
        }
        try
        {
            handshakeRegistration.deregMr().execute().free();
        }
        catch (final IOException ex)
        {
            failure = "deregistering connection " + serial + "'s handshake: " + ex.getMessage();
        }
        final String pd = deallocate(protectionDomain);
        return null != pd ? pd : failure;
    }

    private void send(final int offset, final int length) throws IOException
    {
        HandshakePosts.send(id, (serial << 1) | SEND, handshakeRegistration, offset, length);
    }

    private void postReceive() throws IOException
    {
        HandshakePosts.receive(id, (serial << 1) | RECEIVE, handshakeRegistration, EXCHANGE_OFFSET,
            handshake.capacity() - EXCHANGE_OFFSET);
    }

    private static IbvMr register(final IbvPd protectionDomain, final ByteBuffer memory, final int access)
        throws IOException
    {
        final SVCRegMr call = protectionDomain.regMr(memory, access);
        try
        {
            return call.execute().getMr();
        }
        finally
        {
            call.free();
        }
    }

    private static String deallocate(final IbvPd protectionDomain)
    {
        try
        {
            protectionDomain.deallocPd();
            return null;
        }
        catch (final Exception ex)
        {
            return "releasing a connection's protection domain: " + ex.getMessage();
        }
    }
}
