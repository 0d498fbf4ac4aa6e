package io.stoker.transport.udp;

import io.aeron.Aeron;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.DataConnectedDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ReadDataDecoder;
import io.stoker.codecs.ReadErrorDecoder;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.JobToken;
import io.stoker.transport.control.Outbox;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.concurrent.TimeUnit;

/**
 * Reads one data server's regions over Aeron UDP. The connection is opened (and the job token proved)
 * on first use and again after the server went away; reads accepted meanwhile wait and are sent once
 * it is up. Each {@code ReadData} frame is copied from the receive buffer straight to its offset in the
 * destination: frames of many reads interleave freely. A read with no progress for the timeout fails.
 */
final class UdpDataReader implements DataReader, ControlListener
{
    private static final long CONNECT_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final int FRAGMENT_LIMIT = 256;
    private static final byte FREE = 0;
    private static final byte WAITING = 1;
    private static final byte SENT = 2;
    private static final byte[] NO_PROOF = new byte[0];

    private final Aeron aeron;
    private final ServerAdvertisement server;
    private final String responseChannel;
    private final int responseStreamId;
    private final JobToken token;
    private final NanoClock clock;
    private final long readTimeoutNs;
    private final ControlPublisher publisher = new ControlPublisher();
    private final Outbox outbox;
    private final ControlAdapter adapter;

    private final byte[] state;
    private final int[] generation;
    private final long[] readIds;
    private final int[] regionIds;
    private final long[] offsets;
    private final int[] lengths;
    private final int[] received;
    private final long[] deadlines;
    private final AtomicBuffer[] destinations;
    private final int[] destinationOffsets;
    private int inFlight;

    private ReadCompletionHandler handler;
    private long connectCorrelationId = Aeron.NULL_VALUE;
    private long nextConnectNs;
    private boolean connected;
    private String refusal;
    private long nowNs;

    UdpDataReader(
        final Aeron aeron,
        final ServerAdvertisement server,
        final String responseChannel,
        final int responseStreamId,
        final JobToken token,
        final NanoClock clock,
        final int capacity,
        final long readTimeoutNs,
        final AtomicCounter invalidMessages)
    {
        this.aeron = aeron;
        this.server = server;
        this.responseChannel = responseChannel;
        this.responseStreamId = responseStreamId;
        this.token = token;
        this.clock = clock;
        this.readTimeoutNs = readTimeoutNs;
        state = new byte[capacity];
        generation = new int[capacity];
        readIds = new long[capacity];
        regionIds = new int[capacity];
        offsets = new long[capacity];
        lengths = new int[capacity];
        received = new int[capacity];
        deadlines = new long[capacity];
        destinations = new AtomicBuffer[capacity];
        destinationOffsets = new int[capacity];
        outbox = new Outbox(aeron.addExclusivePublication(server.udpChannel(), ControlProtocol.DATA_REQUEST_STREAM_ID));
        adapter = new ControlAdapter(aeron.addSubscription(responseChannel, responseStreamId), this, invalidMessages);
    }

    public TransportKind kind()
    {
        return TransportKind.UDP;
    }

    public boolean read(
        final long readId,
        final int regionId,
        final long offset,
        final int length,
        final AtomicBuffer destination,
        final int destinationOffset)
    {
        for (int slot = 0; slot < state.length; slot++)
        {
            if (state[slot] == FREE)
            {
                state[slot] = WAITING;
                generation[slot]++;
                readIds[slot] = readId;
                regionIds[slot] = regionId;
                offsets[slot] = offset;
                lengths[slot] = length;
                received[slot] = 0;
                deadlines[slot] = clock.nanoTime() + readTimeoutNs;
                destinations[slot] = destination;
                destinationOffsets[slot] = destinationOffset;
                inFlight++;
                return true;
            }
        }
        return false;
    }

    public int poll(final ReadCompletionHandler handler)
    {
        this.handler = handler;
        nowNs = clock.nanoTime();
        int work = outbox.drain();
        if (connected && !outbox.publication().isConnected())
        {
            connected = false;
            connectCorrelationId = Aeron.NULL_VALUE;
        }
        if (!connected)
        {
            work += connect();
        }
        work += adapter.poll(FRAGMENT_LIMIT);
        if (inFlight > 0)
        {
            work += sendAndExpire();
        }
        return work;
    }

    public int inFlight()
    {
        return inFlight;
    }

    public void close()
    {
        CloseHelper.closeAll(adapter, outbox);
    }

    public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
    {
        if (decoder.correlationId() != connectCorrelationId || connected)
        {
            return;
        }
        if (null == token)
        {
            refusal = "data server " + server.serverId() + " asks for a job token this worker does not have";
            return;
        }
        final byte[] nonce = new byte[decoder.nonceLength()];
        decoder.getNonce(nonce, 0, nonce.length);
        publisher.dataConnect(outbox, connectCorrelationId, responseStreamId, responseChannel, token.prove(nonce));
    }

    public void onDataConnected(final int sessionId, final DataConnectedDecoder decoder)
    {
        if (decoder.correlationId() == connectCorrelationId)
        {
            connected = true;
            refusal = null;
        }
    }

    public void onReadData(final int sessionId, final ReadDataDecoder decoder)
    {
        final int slot = slotOf(decoder.requestId());
        final int readOffset = decoder.readOffset();
        final int length = decoder.bytesLength();
        if (slot < 0)
        {
            return;
        }
        if (readOffset < 0 || (long)readOffset + length > lengths[slot])
        {
            fail(slot, "server " + server.serverId() + " sent bytes [" + readOffset + ", " + (readOffset + length) +
                ") outside a read of " + lengths[slot]);
            return;
        }
        decoder.getBytes(destinations[slot], destinationOffsets[slot] + readOffset, length);
        received[slot] += length;
        deadlines[slot] = nowNs + readTimeoutNs;
        if (received[slot] >= lengths[slot])
        {
            final long readId = readIds[slot];
            free(slot);
            handler.onReadComplete(readId);
        }
    }

    public void onReadError(final int sessionId, final ReadErrorDecoder decoder)
    {
        final long requestId = decoder.requestId();
        final ErrorCode code = decoder.code();
        final String message = decoder.message();
        if (requestId == connectCorrelationId && code == ErrorCode.AUTHENTICATION_FAILED)
        {
            refusal = "data server " + server.serverId() + " refused this worker: " + message;
            return;
        }
        final int slot = slotOf(requestId);
        if (slot >= 0)
        {
            fail(slot, "data server " + server.serverId() + ": " + code + ": " + message);
        }
    }

    /**
     * Counted by the adapter; a read whose frame was lost to it times out and is retried elsewhere.
     */
    public void onInvalid(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
    }

    private int connect()
    {
        if (nowNs - nextConnectNs < 0 || !outbox.publication().isConnected())
        {
            return 0;
        }
        connectCorrelationId = aeron.nextCorrelationId();
        publisher.dataConnect(outbox, connectCorrelationId, responseStreamId, responseChannel, NO_PROOF);
        nextConnectNs = nowNs + CONNECT_RETRY_NS;
        return 1;
    }

    private int sendAndExpire()
    {
        int work = 0;
        for (int slot = 0; slot < state.length; slot++)
        {
            if (state[slot] == FREE)
            {
                continue;
            }
            if (nowNs - deadlines[slot] > 0)
            {
                fail(slot, null != refusal ? refusal : "no answer from data server " + server.serverId() + " at " +
                    server.udpChannel() + " within " + TimeUnit.NANOSECONDS.toMillis(readTimeoutNs) + " ms" +
                    (connected ? "" : " (not connected)"));
                work++;
            }
            else if (state[slot] == WAITING && connected)
            {
                publisher.readRequest(outbox, requestId(slot), regionIds[slot], offsets[slot], lengths[slot]);
                state[slot] = SENT;
                work++;
            }
        }
        return work;
    }

    private void fail(final int slot, final String reason)
    {
        final long readId = readIds[slot];
        free(slot);
        handler.onReadFailed(readId, reason);
    }

    private void free(final int slot)
    {
        state[slot] = FREE;
        destinations[slot] = null;
        inFlight--;
    }

    private long requestId(final int slot)
    {
        return ((long)generation[slot] << 32) | slot;
    }

    private int slotOf(final long requestId)
    {
        final int slot = (int)requestId;
        return slot >= 0 && slot < state.length && state[slot] == SENT && generation[slot] == (int)(requestId >>> 32) ?
            slot : -1;
    }
}
