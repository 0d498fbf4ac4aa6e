package io.stoker.transport.udp;

import io.aeron.Aeron;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.DataConnectedDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.ReadDataDecoder;
import io.stoker.codecs.ReadErrorDecoder;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.session.Service;
import io.stoker.transport.session.SessionDirectory;
import io.stoker.transport.session.SessionInitiator;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.NanoClock;

import java.util.concurrent.TimeUnit;

/**
 * Reads one data server's regions over Aeron UDP. The connection is a session like any other
 * ({@link SessionInitiator}: the server proves the job token first, then this side; requests are sealed,
 * and only the server's session may answer); it is opened on first use and again after the server
 * went away, and reads accepted meanwhile wait and are sent once it is up. Each {@code ReadData} frame
 * is copied from the receive buffer straight to its offset in the destination: frames of many reads
 * interleave freely. A read with no progress for the timeout fails.
 * <p>
 * The reader is available ({@link #isAvailable()}) only while its session is up and its server answers. When the
 * connection goes (the publication to the server lost its receiver, or the server's image is gone), or the server
 * sent nothing for the stall bound (a quarter of the read timeout) while requests waited on it, every read the
 * reader holds fails at once, so it is tried on a replica without waiting out the read timeout. A lost connection
 * is opened again by a new handshake; a stalled server is trusted again as soon as anything of it arrives, or
 * probed with reads again after a backoff (from {@link #MIN_BACKOFF_NS}, doubling up to {@link #MAX_BACKOFF_NS},
 * back to the start once a read completes).
 */
final class UdpDataReader implements DataReader, DataPlaneListener, SessionDirectory
{
    private static final int FRAGMENT_LIMIT = 256;
    private static final byte FREE = 0;
    private static final byte WAITING = 1;
    private static final byte SENT = 2;
    private static final long MIN_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long MAX_BACKOFF_NS = TimeUnit.SECONDS.toNanos(8);
    private static final int MAX_BACKOFF_SHIFT = 4;

    private final ServerAdvertisement server;
    private final WorkerRegistration registration;
    private final NanoClock clock;
    private final long readTimeoutNs;
    private final long stallNs;
    private final DataPlanePublisher publisher = new DataPlanePublisher();
    private final Outbox outbox;
    private final SessionInitiator initiator;
    private final Refusals refusals;
    private final DataPlaneAdapter adapter;

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
    private int sent;
    private long progressNs;
    private int serverSessionId;
    private boolean stalled;
    private int stalls;
    private long probeAtNs;

    private ReadCompletionHandler handler;
    private String refusal;
    private long nowNs;

    /**
     * @param identity     how this worker introduces itself: its rank, host and where it listens.
     * @param registration the worker's registration with the coordinator: its job token proves the connection,
     *                     and each read names the registration, which the server refuses once its lease ended.
     * @param refusals     counts and logs what the server's endpoint sends that is refused.
     */
    UdpDataReader(
        final Aeron aeron,
        final ServerAdvertisement server,
        final HandshakeIdentity identity,
        final WorkerRegistration registration,
        final NanoClock clock,
        final int capacity,
        final long readTimeoutNs,
        final Refusals refusals)
    {
        this.server = server;
        this.registration = registration;
        this.clock = clock;
        this.readTimeoutNs = readTimeoutNs;
        this.stallNs = readTimeoutNs / 4;
        this.refusals = refusals;
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
        initiator = new SessionInitiator(Service.DATA_SERVER, registration.token(), identity, outbox, readTimeoutNs);
        adapter = new DataPlaneAdapter(
            aeron.addSubscription(identity.responseChannel(), identity.responseStreamId()), this, refusals,
            ErrorResponseDecoder.TEMPLATE_ID, this);
    }

    @Override
    public TransportKind kind()
    {
        return TransportKind.UDP;
    }

    @Override
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

    @Override
    public int poll(final ReadCompletionHandler handler)
    {
        this.handler = handler;
        nowNs = clock.nanoTime();
        int work = outbox.drain();
        if (initiator.isEstablished() &&
            (!outbox.publication().isConnected() || !adapter.hasImage(serverSessionId)))
        {
            initiator.reset();
            work += failAll("connection to data server " + server.serverId() + " at " + server.udpChannel() +
                " lost (" + (outbox.publication().isConnected() ? "its stream to this worker ended" :
                "it no longer receives") + ")") + 1;
        }
        if (!initiator.isEstablished())
        {
            work += initiator.doWork(nowNs);
        }
        work += adapter.poll(FRAGMENT_LIMIT);
        work += checkProgress();
        if (inFlight > 0)
        {
            work += sendAndExpire();
        }
        return work;
    }

    @Override
    public boolean isAvailable()
    {
        return initiator.isEstablished() && !stalled;
    }

    @Override
    public int inFlight()
    {
        return inFlight;
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(adapter, outbox);
    }

    @Override
    public MessageOpener opener(final int sessionId)
    {
        return initiator.opener(sessionId);
    }

    @Override
    public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
    {
        switch (initiator.onChallenge(sessionId, decoder, nowNs))
        {
            case ANSWERED -> refusal = null;
            case NO_TOKEN ->
                refusal = "data server " + server.serverId() + " asks for a job token this worker does not have";
            case VERIFIER_NOT_PROVEN ->
            {
                refusal = "data server " + server.serverId() + " did not prove the job token";
                refusals.refuse(sessionId, ErrorCode.AUTHENTICATION_FAILED, decoder.sbeTemplateId(), refusal);
            }
            default -> refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(),
                "no connection of this worker waits for this challenge");
        }
    }

    @Override
    public void onDataConnected(final int sessionId, final DataConnectedDecoder decoder)
    {
        if (!initiator.onAccepted(sessionId, decoder.correlationId()))
        {
            refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(),
                "no connection of this worker waits for this acceptance");
            return;
        }
        serverSessionId = sessionId;
        refusal = null;
        heard();
    }

    @Override
    public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        final ErrorCode code = decoder.code();
        final String message = decoder.message();
        if (initiator.isAnswering(decoder.correlationId()))
        {
            refusal = "data server " + server.serverId() + " refused this worker: " + code + ": " + Quote.of(message);
            return;
        }
        if (null == initiator.opener(sessionId))
        {
            refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(),
                "an error response that answers nothing of this worker's");
            return;
        }
        refusals.report("data server " + server.serverId() + " reported " + code + ": " + Quote.of(message));
    }

    @Override
    public void onReadData(final int sessionId, final ReadDataDecoder decoder)
    {
        final int slot = slotOf(decoder.requestId());
        final long readOffset = decoder.readOffset();
        final int length = decoder.bytesLength();
        heard();
        if (slot < 0)
        {
            return;
        }
        if (readOffset + length > lengths[slot])
        {
            fail(slot, "server " + server.serverId() + " sent bytes [" + readOffset + ", " + (readOffset + length) +
                ") outside a read of " + lengths[slot]);
            return;
        }
        decoder.getBytes(destinations[slot], destinationOffsets[slot] + (int)readOffset, length);
        received[slot] += length;
        deadlines[slot] = nowNs + readTimeoutNs;
        if (received[slot] >= lengths[slot])
        {
            final long readId = readIds[slot];
            free(slot);
            stalls = 0;
            handler.onReadComplete(readId);
        }
    }

    @Override
    public void onReadError(final int sessionId, final ReadErrorDecoder decoder)
    {
        final long requestId = decoder.requestId();
        final ErrorCode code = decoder.code();
        final String message = decoder.message();
        final int slot = slotOf(requestId);
        heard();
        if (slot >= 0)
        {
            fail(slot, "data server " + server.serverId() + ": " + code + ": " + Quote.of(message));
        }
    }

    @Override
    public void onUnexpected(final int sessionId, final int templateId)
    {
        refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId,
            "not a message a worker's data connection takes");
    }

    private int sendAndExpire()
    {
        int work = 0;
        final boolean connected = initiator.isEstablished();
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
                publisher.readRequest(outbox, requestId(slot), regionIds[slot], offsets[slot], lengths[slot],
                    registration.registrationId());
                state[slot] = SENT;
                if (0 == sent++)
                {
                    progressNs = nowNs;
                }
                work++;
            }
        }
        return work;
    }

    /**
     * A server that sent nothing for the stall bound while requests waited on it is taken as gone until it shows
     * a sign of life or the backoff ends; its reads fail now.
     */
    private int checkProgress()
    {
        if (stalled)
        {
            if (nowNs - probeAtNs >= 0)
            {
                stalled = false;
                return 1;
            }
            return 0;
        }
        if (sent > 0 && nowNs - progressNs > stallNs)
        {
            stalled = true;
            probeAtNs = nowNs + Math.min(MAX_BACKOFF_NS, MIN_BACKOFF_NS << Math.min(stalls++, MAX_BACKOFF_SHIFT));
            return failAll("data server " + server.serverId() + " at " + server.udpChannel() + " sent nothing for " +
                TimeUnit.NANOSECONDS.toMillis(stallNs) + " ms with " + sent + " reads waiting") + 1;
        }
        return 0;
    }

    /**
     * Anything admitted from the server's session: it is alive.
     */
    private void heard()
    {
        progressNs = nowNs;
        stalled = false;
    }

    private int failAll(final String reason)
    {
        int failed = 0;
        for (int slot = 0; slot < state.length; slot++)
        {
            if (state[slot] != FREE)
            {
                fail(slot, reason);
                failed++;
            }
        }
        return failed;
    }

    private void fail(final int slot, final String reason)
    {
        final long readId = readIds[slot];
        free(slot);
        handler.onReadFailed(readId, reason);
    }

    private void free(final int slot)
    {
        if (state[slot] == SENT)
        {
            sent--;
        }
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
