package io.stoker.transport.udp;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.logbuffer.BufferClaim;
import io.stoker.codecs.DataConnectDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.ReadDataEncoder;
import io.stoker.codecs.ReadRequestDecoder;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.JobToken;
import io.stoker.transport.control.Outbox;
import io.stoker.transport.data.MappedRegion;
import io.stoker.transport.data.RegionServer;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The data server's side of the {@code udp} transport. Workers connect with a DataConnect (proving
 * the job token when the server has one), then send read requests; the server answers each with
 * frames of {@code (request id, offset, bytes)} claimed straight in the publication's term buffer and
 * filled from the mapped shard file: one copy from page cache to network buffer.
 * <p>
 * Reads of a connection are served oldest first, as long as the publication takes the frames; when it
 * pushes back the connection waits for the next duty cycle, and connections take turns each cycle. Each connection accepts a
 * bounded number of reads at once and refuses the rest with an error.
 */
public final class UdpRegionServer implements RegionServer, ControlListener
{
    /**
     * Reads a connection may have waiting or in progress at once.
     */
    public static final int MAX_READS_PER_CONNECTION = 256;

    private static final int FRAGMENT_LIMIT = 64;
    private static final int FRAME_OVERHEAD = MessageHeaderEncoder.ENCODED_LENGTH + ReadDataEncoder.BLOCK_LENGTH +
        ReadDataEncoder.bytesHeaderLength();
    private static final int FRAMES_PER_CONNECTION_PER_CYCLE = 256;

    private final Aeron aeron;
    private final String channel;
    private final JobToken token;
    private final NanoClock clock;
    private final long connectionTimeoutNs;
    private final ErrorHandler errorHandler;
    private final AtomicCounter bytesServed;
    private final AtomicCounter readsServed;
    private final ControlPublisher publisher = new ControlPublisher();
    private final ControlAdapter adapter;
    private final Int2ObjectHashMap<MappedRegion> regions = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<Connection> connectionsBySession = new Int2ObjectHashMap<>();
    private final List<Connection> connections = new ArrayList<>();
    private final BufferClaim claim = new BufferClaim();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final ReadDataEncoder readData = new ReadDataEncoder();
    private long nowNs;

    /**
     * Listen for read requests. Blocks for the driver round trip that creates the subscription: call at start-up.
     *
     * @param aeron               connected client.
     * @param endpoint            host:port to listen on.
     * @param token               the job token workers must prove, or null to serve anyone.
     * @param clock               time source.
     * @param connectionTimeoutNs how long a connection may stay unreachable before it is dropped.
     * @param bytesServed         counts bytes sent.
     * @param readsServed         counts reads completed.
     * @param invalidMessages     counts invalid messages received.
     * @param errorHandler        told of refused requests and connections.
     */
    public UdpRegionServer(
        final Aeron aeron,
        final String endpoint,
        final JobToken token,
        final NanoClock clock,
        final long connectionTimeoutNs,
        final AtomicCounter bytesServed,
        final AtomicCounter readsServed,
        final AtomicCounter invalidMessages,
        final ErrorHandler errorHandler)
    {
        this.aeron = aeron;
        this.channel = ControlProtocol.udpChannel(endpoint);
        this.token = token;
        this.clock = clock;
        this.connectionTimeoutNs = connectionTimeoutNs;
        this.errorHandler = errorHandler;
        this.bytesServed = bytesServed;
        this.readsServed = readsServed;
        adapter = new ControlAdapter(
            aeron.addSubscription(channel, ControlProtocol.DATA_REQUEST_STREAM_ID), this, invalidMessages);
    }

    public TransportKind kind()
    {
        return TransportKind.UDP;
    }

    public ServerAdvertisement.Region export(final ServerAdvertisement.Region region)
    {
        regions.put(region.id(), new MappedRegion(Path.of(region.path()), region.length()));
        return region;
    }

    public String endpoint()
    {
        return channel;
    }

    public int doWork()
    {
        nowNs = clock.nanoTime();
        int work = adapter.poll(FRAGMENT_LIMIT);
        for (int i = connections.size() - 1; i >= 0; i--)
        {
            final Connection connection = connections.get(i);
            work += connection.doWork();
            if (connection.isDead())
            {
                connections.remove(i);
                connectionsBySession.remove(connection.sessionId);
                connection.close();
            }
        }
        return work;
    }

    public void close()
    {
        connections.forEach(Connection::close);
        connections.clear();
        regions.values().forEach(MappedRegion::close);
        adapter.close();
    }

    public void onDataConnect(final int sessionId, final DataConnectDecoder decoder)
    {
        final long correlationId = decoder.correlationId();
        final int responseStreamId = decoder.responseStreamId();
        final String responseChannel = decoder.responseChannel();
        final byte[] proof = new byte[decoder.proofLength()];
        decoder.getProof(proof, 0, proof.length);

        final Connection existing = connectionsBySession.get(sessionId);
        if (null != existing && existing.correlationId == correlationId)
        {
            if (!existing.authenticated && proof.length > 0)
            {
                existing.authenticated = null != existing.nonce && token.verify(existing.nonce, proof);
                if (!existing.authenticated)
                {
                    errorHandler.onError(new IllegalStateException(
                        "udp data server: refused a worker connection from " + responseChannel + ": wrong job token"));
                    existing.refuse("wrong job token");
                }
            }
            return;
        }
        if (null != existing)
        {
            connections.remove(existing);
            existing.close();
        }
        final long registrationId;
        try
        {
            registrationId = aeron.asyncAddExclusivePublication(responseChannel, responseStreamId);
        }
        catch (final RuntimeException ex)
        {
            errorHandler.onError(new IllegalStateException(
                "udp data server: bad response channel '" + responseChannel + "': " + ex.getMessage()));
            return;
        }
        final Connection connection = new Connection(sessionId, correlationId, registrationId);
        connection.authenticated = null == token;
        connectionsBySession.put(sessionId, connection);
        connections.add(connection);
    }

    public void onReadRequest(final int sessionId, final ReadRequestDecoder decoder)
    {
        final long requestId = decoder.requestId();
        final int regionId = decoder.regionId();
        final long regionOffset = decoder.regionOffset();
        final int length = decoder.length();
        final Connection connection = connectionsBySession.get(sessionId);
        if (null == connection || !connection.isReady())
        {
            errorHandler.onError(new IllegalStateException(
                "udp data server: read request from session " + sessionId + " without an accepted connection"));
            return;
        }

        final MappedRegion region = regions.get(regionId);
        if (null == region)
        {
            connection.fail(requestId, ErrorCode.UNKNOWN_REGION, "this server exports no region " + regionId);
        }
        else if (!region.contains(regionOffset, length))
        {
            connection.fail(requestId, ErrorCode.OUT_OF_REGION, "read [" + regionOffset + ", " +
                (regionOffset + length) + ") is outside region " + regionId + " of " + region.length() + " bytes");
        }
        else if (!connection.enqueue(requestId, region, regionOffset, length))
        {
            connection.fail(requestId, ErrorCode.IO_ERROR,
                "server busy: " + MAX_READS_PER_CONNECTION + " reads in flight on this connection");
        }
    }

    public void onInvalid(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
        errorHandler.onError(new IllegalStateException(
            "udp data server: dropped an invalid message from session " + sessionId + ": " + reason));
    }

    /**
     * One worker's connection: its reply publication and its reads in progress, in a ring.
     */
    private final class Connection implements AutoCloseable
    {
        final int sessionId;
        final long correlationId;
        final long registrationId;
        final long[] requestIds = new long[MAX_READS_PER_CONNECTION];
        final MappedRegion[] readRegions = new MappedRegion[MAX_READS_PER_CONNECTION];
        final long[] regionOffsets = new long[MAX_READS_PER_CONNECTION];
        final int[] lengths = new int[MAX_READS_PER_CONNECTION];
        final int[] sent = new int[MAX_READS_PER_CONNECTION];
        int head;
        int count;
        ExclusivePublication publication;
        Outbox outbox;
        byte[] nonce;
        boolean authenticated;
        boolean accepted;
        boolean refused;
        long lastConnectedNs = nowNs;

        Connection(final int sessionId, final long correlationId, final long registrationId)
        {
            this.sessionId = sessionId;
            this.correlationId = correlationId;
            this.registrationId = registrationId;
        }

        boolean isReady()
        {
            return accepted && !refused;
        }

        boolean isDead()
        {
            return nowNs - lastConnectedNs > connectionTimeoutNs || (refused && (null == outbox || !outbox.hasPending()));
        }

        boolean enqueue(final long requestId, final MappedRegion region, final long regionOffset, final int length)
        {
            if (count == requestIds.length)
            {
                return false;
            }
            final int index = (head + count++) % requestIds.length;
            requestIds[index] = requestId;
            readRegions[index] = region;
            regionOffsets[index] = regionOffset;
            lengths[index] = length;
            sent[index] = 0;
            return true;
        }

        void fail(final long requestId, final ErrorCode code, final String message)
        {
            publisher.readError(outbox, requestId, code, message);
        }

        void refuse(final String reason)
        {
            refused = true;
            if (null != outbox)
            {
                publisher.readError(outbox, correlationId, ErrorCode.AUTHENTICATION_FAILED, reason);
            }
        }

        int doWork()
        {
            if (null == publication)
            {
                try
                {
                    publication = aeron.getExclusivePublication(registrationId);
                }
                catch (final RuntimeException ex)
                {
                    errorHandler.onError(new IllegalStateException(
                        "udp data server: cannot answer session " + sessionId + ": " + ex.getMessage()));
                    refused = true;
                    return 0;
                }
                if (null == publication)
                {
                    return 0;
                }
                outbox = new Outbox(publication);
            }
            if (!publication.isConnected())
            {
                return 0;
            }
            lastConnectedNs = nowNs;
            int work = outbox.drain();
            if (refused)
            {
                return work;
            }
            if (!accepted)
            {
                if (authenticated)
                {
                    publisher.dataConnected(outbox, correlationId);
                    accepted = true;
                    work++;
                }
                else if (null == nonce)
                {
                    nonce = JobToken.newNonce();
                    publisher.challenge(outbox, correlationId, nonce);
                    work++;
                }
                return work;
            }
            if (outbox.hasPending())
            {
                return work;
            }
            return work + sendFrames();
        }

        /**
         * Send frames of the oldest read first (the worker delivers in order, so the oldest read is the
         * one its consumer waits for) until the publication pushes back or the cycle's share is used.
         */
        private int sendFrames()
        {
            final int maxFrame = publication.maxPayloadLength() - FRAME_OVERHEAD;
            int frames = 0;
            while (count > 0 && frames < FRAMES_PER_CONNECTION_PER_CYCLE)
            {
                final int index = head;
                final int readOffset = sent[index];
                final int frameLength = Math.min(maxFrame, lengths[index] - readOffset);
                if (publication.tryClaim(FRAME_OVERHEAD + frameLength, claim) < 0)
                {
                    break;
                }

                final MutableDirectBuffer buffer = claim.buffer();
                final int offset = claim.offset();
                readData.wrapAndApplyHeader(buffer, offset, header).requestId(requestIds[index]).readOffset(readOffset);
                final int bytesOffset = offset + MessageHeaderEncoder.ENCODED_LENGTH + ReadDataEncoder.BLOCK_LENGTH;
                buffer.putInt(bytesOffset, frameLength, ByteOrder.LITTLE_ENDIAN);
                readRegions[index].copy(regionOffsets[index] + readOffset, frameLength, buffer,
                    bytesOffset + ReadDataEncoder.bytesHeaderLength());
                claim.commit();
                bytesServed.getAndAddOrdered(frameLength);
                frames++;

                sent[index] = readOffset + frameLength;
                if (sent[index] == lengths[index])
                {
                    readsServed.incrementOrdered();
                    readRegions[index] = null;
                    head = (head + 1) % requestIds.length;
                    count--;
                }
            }
            return frames;
        }

        public void close()
        {
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
}
