package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvCompChannel;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.RdmaCm;
import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.RdmaEventChannel;
import com.ibm.disni.verbs.SVCPollCq;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.session.RdmaConnectProof;
import io.stoker.transport.wire.JobNames;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * For the RDMA lab only: a worker's connection handshake done by hand, step by step, so that it can send a proof it
 * captured on an earlier connection instead of one over the new connection's challenge, as an attacker who saw a
 * proof go by would. Each {@link #connect} opens a new connection to the server, waits for its challenge, sends
 * either a fresh proof over it or the proof given, and reports whether the server sent a key table. While it waits
 * it runs the server's duty cycle (the lab runs server and clients on one thread).
 */
final class RawProofClient implements AutoCloseable
{
    private static final int NONCE_OFFSET = RdmaConnectProof.MAX_LENGTH;
    private static final int PROOF_LENGTH = RdmaConnectProof.length(JobNames.DEFAULT);
    private static final int KEYS_OFFSET = NONCE_OFFSET + RdmaConnectProof.NONCE_LENGTH;
    private static final long RECEIVE_NONCE = 1;
    private static final long RECEIVE_KEYS = 2;
    private static final long SEND_PROOF = 3;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    private final RdmaDevice device;
    private final RdmaRegionServer server;
    private final ByteBuffer memory = ByteBuffer.allocateDirect(KEYS_OFFSET + RdmaKeyTable.MAX_LENGTH);
    private final UnsafeBuffer view = new UnsafeBuffer(memory);
    private final IbvMr registration;
    private final IbvWC[] completions = { new IbvWC() };
    private final byte[] lastProof = new byte[PROOF_LENGTH];

    RawProofClient(final String address, final RdmaRegionServer server) throws IOException
    {
        this.device = RdmaDevice.open(new InetSocketAddress(address, 0));
        this.server = server;
        this.registration = device.register(memory, IbvMr.IBV_ACCESS_LOCAL_WRITE);
    }

    /**
     * @return the proof sent on the last connection.
     */
    byte[] lastProof()
    {
        return lastProof.clone();
    }

    /**
     * Open a connection and prove it.
     *
     * @param replay the proof to send, or null for a fresh one over this connection's challenge.
     * @return how many keys the server sent, or why it sent none.
     */
    String connect(final JobToken token, final int rank, final long registrationId, final byte[] replay)
        throws IOException
    {
        final RdmaEventChannel channel = RdmaDevice.eventChannel();
        final IbvCompChannel compChannel = device.context().createCompChannel();
        final IbvCQ queue = device.context().createCQ(compChannel, 8, 0);
        // one completion a poll: the proof's send and the key table's receive can both be there at once
        final SVCPollCq poll = queue.poll(completions, 1);
        final RdmaCmId id = channel.createId(RdmaCm.RDMA_PS_TCP);
        try
        {
            id.resolveAddr(new InetSocketAddress(device.address(), 0), RdmaEndpoints.parse(server.endpoint()), 2000);
            String outcome = awaitEvent(channel, RdmaCmEvent.EventType.RDMA_CM_EVENT_ADDR_RESOLVED);
            if (null == outcome)
            {
                id.resolveRoute(2000);
                outcome = awaitEvent(channel, RdmaCmEvent.EventType.RDMA_CM_EVENT_ROUTE_RESOLVED);
            }
            if (null == outcome)
            {
                id.createQP(device.protectionDomain(), RdmaDevice.queuePairAttributes(queue, 1));
                HandshakePosts.receive(id, RECEIVE_NONCE, registration, NONCE_OFFSET, RdmaConnectProof.NONCE_LENGTH);
                HandshakePosts.receive(id, RECEIVE_KEYS, registration, KEYS_OFFSET, RdmaKeyTable.MAX_LENGTH);
                id.connect(RdmaDevice.connectionParameters());
                outcome = awaitEvent(channel, RdmaCmEvent.EventType.RDMA_CM_EVENT_ESTABLISHED);
            }
            if (null == outcome)
            {
                final IbvWC challenge = awaitCompletion(poll);
                outcome = null == challenge ? "no challenge" : challenge.getWr_id() != RECEIVE_NONCE ||
                    IbvWC.IbvWcStatus.IBV_WC_SUCCESS.ordinal() != challenge.getStatus() ?
                    "no challenge: " + RdmaReads.describe(challenge.getStatus()) : null;
            }
            if (null == outcome)
            {
                if (null == replay)
                {
                    RdmaConnectProof.write(token, JobNames.DEFAULT, server.endpoint(), view, NONCE_OFFSET, rank,
                        registrationId, view, 0);
                }
                else
                {
                    view.putBytes(0, replay);
                }
                view.getBytes(0, lastProof);
                HandshakePosts.send(id, SEND_PROOF, registration, 0, PROOF_LENGTH);
                outcome = awaitKeys(poll, channel);
            }
            return outcome;
        }
        finally
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
            finally
            {
                poll.free();
                queue.destroyCQ();
                compChannel.destroyCompChannel();
                channel.destroyEventChannel();
            }
        }
    }

    @Override
    public void close() throws IOException
    {
        registration.deregMr().execute().free();
        device.close();
    }

    /**
     * @return "N keys" once the key table arrived, or why not (the server closing the connection flushes the
     *     receive with an error).
     */
    private String awaitKeys(final SVCPollCq poll, final RdmaEventChannel channel) throws IOException
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (System.nanoTime() - deadline < 0)
        {
            server.doWork();
            if (poll.execute().getPolls() > 0)
            {
                final IbvWC completion = completions[0];
                if (IbvWC.IbvWcStatus.IBV_WC_SUCCESS.ordinal() != completion.getStatus())
                {
                    return "refused: " + RdmaReads.describe(completion.getStatus());
                }
                if (RECEIVE_KEYS == completion.getWr_id())
                {
                    final Long2LongHashMap keys = RdmaKeyTable.newKeys();
                    final String invalid = RdmaKeyTable.read(view, KEYS_OFFSET, completion.getByte_len(), keys);
                    return null != invalid ? invalid : keys.size() + " keys";
                }
            }
            final RdmaCmEvent event = channel.getCmEvent(0);
            if (null != event)
            {
                final int type = event.getEvent();
                event.ackEvent();
                return "refused: the server closed the connection (" + RdmaCmEvent.EventType.values()[type] + ")";
            }
            Thread.onSpinWait();
        }
        return "no answer within " + TimeUnit.NANOSECONDS.toSeconds(TIMEOUT_NS) + " s";
    }

    private IbvWC awaitCompletion(final SVCPollCq poll) throws IOException
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (System.nanoTime() - deadline < 0)
        {
            server.doWork();
            if (poll.execute().getPolls() > 0)
            {
                return completions[0];
            }
            Thread.onSpinWait();
        }
        return null;
    }

    private String awaitEvent(final RdmaEventChannel channel, final RdmaCmEvent.EventType expected)
        throws IOException
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (System.nanoTime() - deadline < 0)
        {
            server.doWork();
            final RdmaCmEvent event = channel.getCmEvent(0);
            if (null != event)
            {
                final int type = event.getEvent();
                event.ackEvent();
                return expected.ordinal() == type ? null :
                    "rdma_cm: " + RdmaCmEvent.EventType.values()[type] + ", not " + expected;
            }
            Thread.onSpinWait();
        }
        return "no " + expected + " within " + TimeUnit.NANOSECONDS.toSeconds(TIMEOUT_NS) + " s";
    }
}
