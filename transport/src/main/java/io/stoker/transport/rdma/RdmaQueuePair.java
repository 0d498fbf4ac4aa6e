package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvSendWR;
import com.ibm.disni.verbs.IbvSge;
import com.ibm.disni.verbs.RdmaCm;
import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.RdmaEventChannel;
import com.ibm.disni.verbs.SVCPostSend;
import io.stoker.transport.data.WorkerRegistration;
import io.stoker.transport.session.RdmaConnectProof;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One reliable connection to a data server, set up without blocking: each rdma_cm step (resolve the
 * address, resolve the route, connect) is started here and finished by the event its owner's event
 * channel delivers to {@link #onCmEvent}. Once established it proves itself: the server sends its challenge for
 * this connection, which arrives in the first of two receives posted before connecting; the worker answers with its
 * {@link RdmaConnectProof} over it, and is ready when the server's key table for this connection arrived in the
 * second receive (all complete on the reader's completion queue under {@link #isHandshake handshake} work request
 * ids); reads on it use those keys. A connection that fails, at setup or by an error completion
 * (which moves the queue pair to the error state), is {@link #isBroken() broken}: its owner tears it
 * down once its work requests are flushed, and it connects again after a pause.
 * <p>
 * Each slot holds a one-work-request post built once per connection (opcode, scatter/gather entry count
 * and lkey fixed), so {@link #post} only rewrites ids, addresses and key, and allocates nothing.
 */
final class RdmaQueuePair
{
    private static final int IDLE = 0;
    private static final int PAUSED = 1;
    private static final int RESOLVING_ADDRESS = 2;
    private static final int RESOLVING_ROUTE = 3;
    private static final int CONNECTING = 4;
    private static final int PROVING = 5;
    private static final int READY = 6;
    private static final int BROKEN = 7;
    private static final long HANDSHAKE = Long.MIN_VALUE;
    private static final long RECEIVE_KEYS = 0;
    private static final long SEND = 1;
    private static final long RECEIVE_NONCE = 2;
    private static final int NONCE_OFFSET = RdmaConnectProof.MAX_LENGTH;
    private static final int KEYS_OFFSET = NONCE_OFFSET + RdmaConnectProof.NONCE_LENGTH;
    private static final long RECONNECT_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final RdmaCmEvent.EventType[] EVENT_TYPES = RdmaCmEvent.EventType.values();

    private final RdmaDevice device;
    private final RdmaEventChannel channel;
    private final IbvCQ completionQueue;
    private final InetSocketAddress source;
    private final InetSocketAddress destination;
    private final String endpoint;
    private final int index;
    private final WorkerRegistration registration;
    private final ByteBuffer handshake;
    private final UnsafeBuffer handshakeView;
    private final IbvMr handshakeRegistration;
    private final Long2LongHashMap keys = RdmaKeyTable.newKeys();
    private final int opcode;
    private final int lkey;
    private final long timeoutNs;
    private final SVCPostSend[] posts;
    private final SVCPostSend.SendWRMod[] requests;
    private final SVCPostSend.SgeMod[] segments;
    private final SVCPostSend.RdmaMod[] remotes;
    private RdmaCmId id;
    private int attempt;
    private long attemptRegistrationId;
    private boolean proofSent;
    private boolean keysReceived;
    private int state = IDLE;
    private long stateSinceNs;
    private long nextAttemptNs;
    private String lastError = "not connected yet";

    /**
     * @param device          the local device; the queue pair and its memory belong to its protection domain.
     * @param channel         where this connection's rdma_cm events arrive.
     * @param completionQueue where its work requests complete.
     * @param destination     the data server's RDMA endpoint.
     * @param index           this connection's index in its reader: its handshake's work request ids carry it.
     * @param registration    the worker's registration, proven to the server on each connection.
     * @param lkey            local key of the memory the work requests use.
     * @param slots           work requests in flight at most.
     * @param opcode          {@code IbvSendWR.IBV_WR_RDMA_READ} for a reader.
     * @param timeoutNs       limit for each setup step.
     */
    RdmaQueuePair(
        final RdmaDevice device,
        final RdmaEventChannel channel,
        final IbvCQ completionQueue,
        final InetSocketAddress destination,
        final int index,
        final WorkerRegistration registration,
        final int lkey,
        final int slots,
        final int opcode,
        final long timeoutNs) throws IOException
    {
        this.device = device;
        this.channel = channel;
        this.completionQueue = completionQueue;
        this.source = new InetSocketAddress(device.address(), 0);
        this.destination = destination;
        this.endpoint = RdmaEndpoints.format(destination);
        this.index = index;
        this.registration = registration;
        this.lkey = lkey;
        this.opcode = opcode;
        this.timeoutNs = timeoutNs;
        posts = new SVCPostSend[slots];
        requests = new SVCPostSend.SendWRMod[slots];
        segments = new SVCPostSend.SgeMod[slots];
        remotes = new SVCPostSend.RdmaMod[slots];
        handshake = ByteBuffer.allocateDirect(KEYS_OFFSET + RdmaKeyTable.MAX_LENGTH);
        handshakeView = new UnsafeBuffer(handshake);
        handshakeRegistration = device.register(handshake, IbvMr.IBV_ACCESS_LOCAL_WRITE);
    }

    /**
     * @return true when a work request id is of a connection's handshake, not of a read.
     */
    static boolean isHandshake(final long workRequestId)
    {
        return workRequestId < 0;
    }

    /**
     * @return the index of the connection a handshake work request id belongs to.
     */
    static int handshakeIndex(final long workRequestId)
    {
        return (int)workRequestId >>> 2;
    }

    /**
     * @return the server's key for a region on this connection, or {@link RdmaKeyTable#NO_KEY}.
     */
    long rkey(final int regionId)
    {
        return keys.get(regionId);
    }

    /**
     * A completion of this connection's handshake: the server's challenge received (answered with the proof), the
     * proof sent, or the key table received. The connection is ready once the last two are; any failure breaks it.
     * Completions of an earlier connection are ignored, and so is a challenge before the connection was
     * established (librdmacm readies the queue pair to receive only as it hands out the established event, so none
     * can come earlier; were one to, the setup would time out and start again). Anything the server sends after the
     * challenge lands in the key table's receive, and is read as one.
     *
     * @param workRequestId the completion's {@code wr_id}.
     * @param status        its status.
     * @param length        bytes received.
     */
    void onHandshakeCompletion(final long workRequestId, final int status, final int length, final long nowNs)
    {
        if ((int)(workRequestId >>> 32 & 0x7fff_ffff) != attempt || PROVING != state)
        {
            return;
        }
        if (RdmaReads.SUCCESS != status)
        {
            broken("the handshake with " + destination + " failed: " + RdmaReads.describe(status), nowNs);
            return;
        }
        final long kind = workRequestId & 3;
        if (RECEIVE_NONCE == kind)
        {
            onChallenge(length, nowNs);
            return;
        }
        if (SEND == kind)
        {
            proofSent = true;
        }
        else
        {
            final String invalid = RdmaKeyTable.read(handshakeView, KEYS_OFFSET, length, keys);
            if (null != invalid)
            {
                broken(invalid + " (from " + destination + ")", nowNs);
                return;
            }
            keysReceived = true;
        }
        if (proofSent && keysReceived)
        {
            enter(READY, nowNs);
        }
    }

    /**
     * Release the handshake's memory; call once, after the last {@link #teardown}.
     */
    void close()
    {
        try
        {
            handshakeRegistration.deregMr().execute().free();
        }
        catch (final IOException ignore)
        {
            // closing: the device goes with the transport
        }
    }

    boolean isReady()
    {
        return READY == state;
    }

    boolean isBroken()
    {
        return BROKEN == state;
    }

    /**
     * @return true while a setup step waits for its rdma_cm event.
     */
    boolean isConnecting()
    {
        return RESOLVING_ADDRESS == state || RESOLVING_ROUTE == state || CONNECTING == state || PROVING == state;
    }

    /**
     * @return nanoseconds since the connection broke.
     */
    long brokenForNs(final long nowNs)
    {
        return nowNs - stateSinceNs;
    }

    /**
     * @return why the connection is not up, or failed last.
     */
    String lastError()
    {
        return lastError;
    }

    /**
     * @return true when the event is about this connection.
     */
    boolean owns(final RdmaCmId eventId)
    {
        return null != id && id == eventId;
    }

    /**
     * Start connecting when never connected, when its pause after a failure is over, or at once when the worker
     * registered again since the last attempt (the server refuses an ended registration: that was likely why it
     * failed); give up on a setup step that took too long.
     *
     * @return work done.
     */
    int doWork(final long nowNs)
    {
        if (IDLE == state || (PAUSED == state &&
            (nowNs - nextAttemptNs >= 0 || registration.registrationId() != attemptRegistrationId)))
        {
            start(nowNs);
            return 1;
        }
        if (isConnecting() && nowNs - stateSinceNs > timeoutNs)
        {
            broken("no answer from " + destination + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) +
                " ms while " + (PROVING == state ? "proving this worker's registration" :
                CONNECTING == state ? "connecting" : "resolving its address"), nowNs);
            return 1;
        }
        return 0;
    }

    /**
     * Take the next setup step on this connection's event; any event out of order breaks the connection.
     *
     * @param type the event's type ({@code enum rdma_cm_event_type}).
     */
    void onCmEvent(final int type, final long nowNs)
    {
        try
        {
            if (RESOLVING_ADDRESS == state && RdmaCmEvent.EventType.RDMA_CM_EVENT_ADDR_RESOLVED.ordinal() == type)
            {
                id.resolveRoute(timeoutMs());
                enter(RESOLVING_ROUTE, nowNs);
            }
            else if (RESOLVING_ROUTE == state && RdmaCmEvent.EventType.RDMA_CM_EVENT_ROUTE_RESOLVED.ordinal() == type)
            {
                id.createQP(device.protectionDomain(), RdmaDevice.queuePairAttributes(completionQueue, posts.length));
                createPosts();
                postReceive(RECEIVE_NONCE, NONCE_OFFSET, RdmaConnectProof.NONCE_LENGTH);
                postReceive(RECEIVE_KEYS, KEYS_OFFSET, RdmaKeyTable.MAX_LENGTH);
                id.connect(RdmaDevice.connectionParameters());
                enter(CONNECTING, nowNs);
            }
            else if (CONNECTING == state && RdmaCmEvent.EventType.RDMA_CM_EVENT_ESTABLISHED.ordinal() == type)
            {
                enter(PROVING, nowNs);
            }
            else
            {
                broken("rdma_cm: " + (type >= 0 && type < EVENT_TYPES.length ? EVENT_TYPES[type].name() : type) +
                    " from " + destination, nowNs);
            }
        }
        catch (final IOException ex)
        {
            broken(ex.getMessage(), nowNs);
        }
    }

    /**
     * Post one work request (the connection must be ready).
     *
     * @param slot one of this connection's slots, not in flight.
     * @return false when posting failed: the connection is broken, the work request is not in flight.
     */
    boolean post(
        final int slot,
        final long workRequestId,
        final long localAddress,
        final long remoteAddress,
        final int rkey,
        final int length,
        final long nowNs)
    {
        requests[slot].setWr_id(workRequestId);
        segments[slot].setAddr(localAddress);
        segments[slot].setLength(length);
        remotes[slot].setRemote_addr(remoteAddress);
        remotes[slot].setRkey(rkey);
        try
        {
            posts[slot].execute();
            return true;
        }
        catch (final IOException ex)
        {
            broken("posting to " + destination + ": " + ex.getMessage(), nowNs);
            return false;
        }
    }

    /**
     * Mark the connection failed. Its queue pair is in (or will be moved to) the error state, which
     * flushes its work requests.
     */
    void broken(final String reason, final long nowNs)
    {
        if (BROKEN != state)
        {
            lastError = reason;
            enter(BROKEN, nowNs);
        }
    }

    /**
     * Destroy the queue pair and the id: no work request of this connection completes, and no byte of
     * it lands, afterwards. The connection starts again after a pause.
     */
    void teardown(final long nowNs)
    {
        for (int slot = 0; slot < posts.length; slot++)
        {
            if (null != posts[slot])
            {
                posts[slot].free();
                posts[slot] = null;
            }
        }
        if (null != id)
        {
            try
            {
                if (null != id.getQp())
                {
                    id.disconnect();
                    id.destroyQP();
                }
                id.destroyId();
            }
            catch (final IOException ignore)
            {
                // the id is gone either way; its queue pair no longer runs
            }
            id = null;
        }
        enter(PAUSED, nowNs);
        nextAttemptNs = nowNs + RECONNECT_DELAY_NS;
    }

    private void start(final long nowNs)
    {
        attempt = (attempt + 1) & 0x7fff_ffff;
        attemptRegistrationId = registration.registrationId();
        proofSent = false;
        keysReceived = false;
        keys.clear();
        try
        {
            id = channel.createId(RdmaCm.RDMA_PS_TCP);
            id.resolveAddr(source, destination, timeoutMs());
            enter(RESOLVING_ADDRESS, nowNs);
        }
        catch (final IOException ex)
        {
            broken("resolving " + destination + ": " + ex.getMessage(), nowNs);
        }
    }

    private long handshakeId(final long kind)
    {
        return HANDSHAKE | (long)attempt << 32 | (long)index << 2 | kind;
    }

    /**
     * The server's challenge arrived: prove this worker's registration over it.
     */
    private void onChallenge(final int length, final long nowNs)
    {
        if (RdmaConnectProof.NONCE_LENGTH != length)
        {
            broken("a challenge of " + length + " bytes from " + destination + ", not " +
                RdmaConnectProof.NONCE_LENGTH, nowNs);
            return;
        }
        try
        {
            sendProof();
        }
        catch (final IOException ex)
        {
            broken("sending the proof to " + destination + ": " + ex.getMessage(), nowNs);
        }
    }

    private void postReceive(final long kind, final int offset, final int length) throws IOException
    {
        HandshakePosts.receive(id, handshakeId(kind), handshakeRegistration, offset, length);
    }

    private void sendProof() throws IOException
    {
        final int length = RdmaConnectProof.write(registration.token(), registration.jobName(), endpoint, handshakeView,
            NONCE_OFFSET, registration.rank(), registration.registrationId(), handshakeView, 0);
        HandshakePosts.send(id, handshakeId(SEND), handshakeRegistration, 0, length);
    }

    private void createPosts() throws IOException
    {
        for (int slot = 0; slot < posts.length; slot++)
        {
            final IbvSge segment = new IbvSge();
            segment.setLkey(lkey);
            final LinkedList<IbvSge> segments = new LinkedList<>();
            segments.add(segment);
            final IbvSendWR request = new IbvSendWR();
            request.setOpcode(opcode);
            request.setSend_flags(IbvSendWR.IBV_SEND_SIGNALED);
            request.setSg_list(segments);
            final List<IbvSendWR> list = new ArrayList<>(1);
            list.add(request);

            posts[slot] = id.getQp().postSend(list, null);
            requests[slot] = posts[slot].getWrMod(0);
            this.segments[slot] = requests[slot].getSgeMod(0);
            remotes[slot] = requests[slot].getRdmaMod();
        }
    }

    private void enter(final int newState, final long nowNs)
    {
        state = newState;
        stateSinceNs = nowNs;
    }

    private int timeoutMs()
    {
        return (int)Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNs));
    }
}
