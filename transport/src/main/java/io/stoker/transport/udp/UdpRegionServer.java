package io.stoker.transport.udp;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.ProofDecoder;
import io.stoker.codecs.ReadDataEncoder;
import io.stoker.codecs.ReadRequestDecoder;
import io.stoker.codecs.Role;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.data.FencedRegistrations;
import io.stoker.transport.data.MappedRegion;
import io.stoker.transport.data.RegionServer;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.Authenticator;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.session.PendingSession;
import io.stoker.transport.session.Service;
import io.stoker.transport.session.SessionAcceptor;
import io.stoker.transport.session.SessionDirectory;
import io.stoker.transport.session.SessionPublisher;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.CountersReader;
import org.agrona.concurrent.status.AtomicCounter;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The data server's side of the {@code udp} transport. A worker opens a data connection with the
 * handshake every Stoker session has ({@link SessionAcceptor}: both sides prove the job token, and the
 * connection is sealed from then on), then sends read requests; the server answers each with frames of
 * {@code (request id, offset, bytes)} claimed straight in the publication's term buffer and filled from
 * the mapped shard file: one copy from page cache to network buffer.
 * <p>
 * Reads of a connection are served oldest first, as long as the publication takes the frames; when it
 * pushes back the connection waits for the next duty cycle. Which connection sends next is the
 * {@link ReadScheduler}'s choice: deficit round robin over the jobs the connections belong to (the job the worker
 * named in its Hello), weighted by what the coordinator said of each job ({@link #serveJob}), and round robin over a
 * job's connections. So that the order in which frames reach the link is the scheduler's, the server sends only while
 * the bytes its publications hold for the link ({@link SenderBacklog}) stay under {@link #LINK_WINDOW}.
 * Each connection accepts a bounded number of reads at once and refuses the rest with an error; a read
 * outside an exported region (its offset and length checked without overflow) is refused too. Each read names the
 * worker's registration with the coordinator; once the coordinator said that registration's lease ended
 * ({@link #fence}) its reads are refused with {@code NOT_REGISTERED}, those already waiting too, and counted
 * ({@link CounterType#READS_FENCED}): a worker paused past its lease reads again only once registered again.
 */
public final class UdpRegionServer
    implements RegionServer, DataPlaneListener, SessionAcceptor.Listener, SessionDirectory
{
    /**
     * Reads a connection may have waiting or in progress at once.
     */
    public static final int MAX_READS_PER_CONNECTION = 256;

    /**
     * Data connections being opened at once, at most.
     */
    public static final int MAX_PENDING_CONNECTIONS = 64;

    private static final int FRAGMENT_LIMIT = 64;
    private static final int FRAME_OVERHEAD = MessageHeaderEncoder.ENCODED_LENGTH + ReadDataEncoder.BLOCK_LENGTH +
        ReadDataEncoder.bytesHeaderLength();
    private static final int FRAMES_PER_CYCLE = 256;

    /**
     * Bytes the server's publications may hold for the link at once, over all connections: enough to keep a fast
     * link busy between duty cycles, small enough that the jobs' shares are decided here.
     */
    public static final int LINK_WINDOW = 2 * 1024 * 1024;

    private final String channel;
    private final NanoClock clock;
    private final long connectionTimeoutNs;
    private final AtomicCounter bytesServed;
    private final AtomicCounter readsServed;
    private final AtomicCounter readsFenced;
    private final FencedRegistrations fenced = new FencedRegistrations();
    private final Refusals refusals;
    private final SessionAcceptor acceptor;
    private final DataPlaneAdapter adapter;
    private final DataPlanePublisher publisher = new DataPlanePublisher();
    private final SessionPublisher sessionPublisher = new SessionPublisher();
    private final Int2ObjectHashMap<MappedRegion> regions = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<Connection> connectionsBySession = new Int2ObjectHashMap<>();
    private final List<Connection> connections = new ArrayList<>();
    private final BufferClaim claim = new BufferClaim();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final ReadDataEncoder readData = new ReadDataEncoder();
    private final CountersReader driverCounters;
    private final JobServedCounters jobCounters;
    private final ReadScheduler scheduler;
    private long nowNs;

    /**
     * Listen for data connections. Blocks for the driver round trip that creates the subscription: call at start-up.
     *
     * @param aeron               connected client.
     * @param endpoint            host:port to listen on.
     * @param token               the job token workers must prove, or null to serve anyone.
     * @param clock               time source.
     * @param connectionTimeoutNs how long a connection may stay unreachable before it is dropped; also
     *                            how long a handshake may take.
     * @param counters            the data server's counters: bytes and reads served, reads refused because
     *                            their registration was fenced, invalid messages, sessions refused and pending.
     * @param errorHandler        told of refused messages and connections, at a bounded rate.
     */
    public UdpRegionServer(
        final Aeron aeron,
        final String endpoint,
        final JobToken token,
        final NanoClock clock,
        final long connectionTimeoutNs,
        final StatusCounters counters,
        final ErrorHandler errorHandler)
    {
        this.channel = ControlProtocol.udpChannel(endpoint);
        this.clock = clock;
        this.connectionTimeoutNs = connectionTimeoutNs;
        this.bytesServed = counters.get(CounterType.BYTES_SERVED);
        this.readsServed = counters.get(CounterType.READ_REQUESTS_SERVED);
        this.readsFenced = counters.get(CounterType.READS_FENCED);
        this.driverCounters = aeron.countersReader();
        this.jobCounters = new JobServedCounters(aeron, counters.owner());
        this.scheduler = new ReadScheduler(jobCounters);
        this.refusals = new Refusals("udp data server", counters.get(CounterType.INVALID_MESSAGES), errorHandler, clock)
            .answerWith(this::answer);
        this.acceptor = new SessionAcceptor(aeron, channel, Authenticator.of(token, Service.DATA_SERVER), refusals,
            counters.get(CounterType.SESSIONS_REFUSED), counters.get(CounterType.SESSIONS_PENDING),
            MAX_PENDING_CONNECTIONS, connectionTimeoutNs, this);
        this.adapter = new DataPlaneAdapter(
            aeron.addSubscription(channel, ControlProtocol.DATA_REQUEST_STREAM_ID), this, refusals, -1, this);
    }

    @Override
    public TransportKind kind()
    {
        return TransportKind.UDP;
    }

    @Override
    public ServerAdvertisement.Region export(final ServerAdvertisement.Region region)
    {
        regions.put(region.id(), new MappedRegion(Path.of(region.path()), region.length()));
        return region;
    }

    @Override
    public String endpoint()
    {
        return channel;
    }

    /**
     * Refuse the registration's reads from now on, and those of its reads still waiting here (their frames not all
     * sent): every UDP read is a request this server answers, so there are no keys to revoke.
     */
    @Override
    public void fence(final long registrationId)
    {
        if (fenced.add(registrationId))
        {
            for (int i = 0, size = connections.size(); i < size; i++)
            {
                connections.get(i).fence(registrationId);
            }
        }
    }

    @Override
    public void serveJob(final String jobName, final int weight)
    {
        if (!scheduler.weight(jobName, weight))
        {
            refusals.report("job " + Quote.of(jobName) + "'s weight " + weight + " not taken: out of range, or " +
                ReadScheduler.MAX_JOBS + " jobs kept already");
        }
    }

    /**
     * @param jobName a job.
     * @return bytes this server sent for it in read data frames, or -1 when it keeps nothing of the job.
     */
    public long servedTo(final String jobName)
    {
        final JobServedCounters.Entry entry = jobCounters.of(jobName);
        return null == entry ? -1 : entry.served();
    }

    @Override
    public int doWork()
    {
        nowNs = clock.nanoTime();
        int work = adapter.poll(FRAGMENT_LIMIT);
        work += acceptor.doWork(nowNs);
        long backlog = 0;
        for (int i = connections.size() - 1; i >= 0; i--)
        {
            final Connection connection = connections.get(i);
            work += connection.doWork();
            if (connection.isDead())
            {
                remove(connection);
            }
            else
            {
                backlog += connection.backlog.bytes();
            }
        }
        work += scheduler.serve(LINK_WINDOW - backlog, FRAMES_PER_CYCLE);
        return work + jobCounters.poll();
    }

    @Override
    public void close()
    {
        connections.forEach(Connection::close);
        connections.clear();
        connectionsBySession.clear();
        regions.values().forEach(MappedRegion::close);
        jobCounters.close();
        CloseHelper.closeAll(acceptor, adapter);
    }

    @Override
    public MessageOpener opener(final int sessionId)
    {
        final Connection connection = connectionsBySession.get(sessionId);
        return null != connection ? connection.opener : null;
    }

    @Override
    public void onHello(final int sessionId, final HelloDecoder decoder)
    {
        acceptor.onHello(sessionId, decoder, nowNs);
    }

    @Override
    public void onProof(final int sessionId, final ProofDecoder decoder)
    {
        acceptor.onProof(sessionId, decoder, nowNs);
    }

    @Override
    public String screen(final HelloDecoder hello)
    {
        return hello.role() == Role.WORKER ? null : "only workers open data connections, not a " + hello.role();
    }

    @Override
    public boolean isOpen(final int sessionId, final long correlationId)
    {
        final Connection connection = connectionsBySession.get(sessionId);
        return null != connection && connection.correlationId == correlationId;
    }

    @Override
    public boolean onAuthenticated(final PendingSession session, final long nowNs)
    {
        final Connection existing = connectionsBySession.get(session.sessionId());
        if (null != existing)
        {
            remove(existing);
        }
        final String jobName = session.identity().jobName();
        final Connection connection = new Connection(session);
        connection.job = scheduler.join(jobName, connection);
        if (null == connection.job)
        {
            session.reject(ErrorCode.BUSY, "this data server serves " + ReadScheduler.MAX_JOBS + " jobs already");
            return false;
        }
        connection.served = jobCounters.of(jobName);
        connectionsBySession.put(connection.sessionId, connection);
        connections.add(connection);
        publisher.dataConnected(connection.outbox, connection.correlationId);
        return true;
    }

    @Override
    public void onReadRequest(final int sessionId, final ReadRequestDecoder decoder)
    {
        final long requestId = decoder.requestId();
        final int regionId = decoder.regionId();
        final long regionOffset = decoder.regionOffset();
        final long length = decoder.length();
        final long registrationId = decoder.registrationId();
        final Connection connection = connectionsBySession.get(sessionId);

        final MappedRegion region = regions.get(regionId);
        if (fenced.contains(registrationId))
        {
            connection.refuseFenced(requestId, registrationId);
        }
        else if (null == region)
        {
            connection.fail(requestId, ErrorCode.UNKNOWN_REGION, "this server exports no region " + regionId);
        }
        else if (length > Integer.MAX_VALUE || !region.contains(regionOffset, (int)length))
        {
            connection.fail(requestId, ErrorCode.OUT_OF_REGION, "read of " + length + " bytes at " + regionOffset +
                " is outside region " + regionId + " of " + region.length() + " bytes");
        }
        else if (!connection.enqueue(requestId, region, regionOffset, (int)length, registrationId))
        {
            connection.fail(requestId, ErrorCode.BUSY,
                "server busy: " + MAX_READS_PER_CONNECTION + " reads in flight on this connection");
        }
    }

    @Override
    public void onUnexpected(final int sessionId, final int templateId)
    {
        refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "not a message a data server takes");
    }

    private void answer(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
        final Connection connection = connectionsBySession.get(sessionId);
        if (null != connection && !connection.outbox.hasPending())
        {
            sessionPublisher.errorResponse(connection.outbox, 0, code, templateId, reason);
        }
    }

    private void remove(final Connection connection)
    {
        scheduler.leave(connection.job, connection);
        connections.remove(connection);
        if (connectionsBySession.get(connection.sessionId) == connection)
        {
            connectionsBySession.remove(connection.sessionId);
        }
        connection.close();
    }

    /**
     * One worker's connection: its sealed reply outbox, its opener, and its reads in progress, in a ring.
     */
    private final class Connection implements ReadScheduler.Flow, AutoCloseable
    {
        final int sessionId;
        final long correlationId;
        final Outbox outbox;
        final Publication publication;
        final MessageOpener opener;
        final long[] requestIds = new long[MAX_READS_PER_CONNECTION];
        final MappedRegion[] readRegions = new MappedRegion[MAX_READS_PER_CONNECTION];
        final long[] regionOffsets = new long[MAX_READS_PER_CONNECTION];
        final int[] lengths = new int[MAX_READS_PER_CONNECTION];
        final int[] sent = new int[MAX_READS_PER_CONNECTION];
        final long[] registrationIds = new long[MAX_READS_PER_CONNECTION];
        final int rank;
        final SenderBacklog backlog;
        ReadScheduler.Job job;
        JobServedCounters.Entry served;
        int head;
        int count;
        long lastConnectedNs = nowNs;

        Connection(final PendingSession session)
        {
            this.sessionId = session.sessionId();
            this.correlationId = session.correlationId();
            this.outbox = session.outbox();
            this.publication = outbox.publication();
            this.opener = session.opener();
            this.rank = session.identity().rank();
            this.backlog = new SenderBacklog(publication, driverCounters);
        }

        boolean isDead()
        {
            return nowNs - lastConnectedNs > connectionTimeoutNs;
        }

        boolean enqueue(
            final long requestId,
            final MappedRegion region,
            final long regionOffset,
            final int length,
            final long registrationId)
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
            registrationIds[index] = registrationId;
            return true;
        }

        void refuseFenced(final long requestId, final long registrationId)
        {
            readsFenced.incrementOrdered();
            fail(requestId, ErrorCode.NOT_REGISTERED, "worker rank " + rank + "'s registration " + registrationId +
                " is fenced: its lease with the coordinator ended; register again");
        }

        /**
         * Refuse the waiting reads of a fenced registration, keeping the others in order.
         */
        void fence(final long registrationId)
        {
            int kept = 0;
            for (int i = 0; i < count; i++)
            {
                final int from = (head + i) % requestIds.length;
                if (registrationIds[from] == registrationId)
                {
                    refuseFenced(requestIds[from], registrationId);
                    readRegions[from] = null;
                    continue;
                }
                final int to = (head + kept++) % requestIds.length;
                requestIds[to] = requestIds[from];
                readRegions[to] = readRegions[from];
                regionOffsets[to] = regionOffsets[from];
                lengths[to] = lengths[from];
                sent[to] = sent[from];
                registrationIds[to] = registrationIds[from];
            }
            count = kept;
        }

        void fail(final long requestId, final ErrorCode code, final String message)
        {
            refusals.report("read " + requestId + " of session " + sessionId + " refused: " + code + ": " + message);
            publisher.readError(outbox, requestId, code, message);
        }

        int doWork()
        {
            if (!publication.isConnected())
            {
                return 0;
            }
            lastConnectedNs = nowNs;
            return outbox.drain();
        }

        /**
         * Send a frame of the oldest read (the worker delivers in order, so the oldest read is the one its consumer
         * waits for), when the publication takes it and no error answer waits before it. A read the file cannot be
         * copied from fails with an error, its claim aborted, and the next read's frame is tried.
         */
        @Override
        public int sendFrame()
        {
            if (!publication.isConnected() || outbox.hasPending())
            {
                return 0;
            }
            final int maxFrame = Math.min(publication.maxPayloadLength() - FRAME_OVERHEAD,
                MessageLimits.MAX_READ_DATA_LENGTH);
            while (count > 0)
            {
                final int index = head;
                final int readOffset = sent[index];
                final int frameLength = Math.min(maxFrame, lengths[index] - readOffset);
                if (publication.tryClaim(FRAME_OVERHEAD + frameLength, claim) < 0)
                {
                    return 0;
                }

                try
                {
                    final MutableDirectBuffer buffer = claim.buffer();
                    final int offset = claim.offset();
                    readData.wrapAndApplyHeader(buffer, offset, header)
                        .requestId(requestIds[index])
                        .readOffset(readOffset);
                    final int bytesOffset = offset + MessageHeaderEncoder.ENCODED_LENGTH + ReadDataEncoder.BLOCK_LENGTH;
                    buffer.putShort(bytesOffset, (short)frameLength, ByteOrder.LITTLE_ENDIAN);
                    readRegions[index].copy(regionOffsets[index] + readOffset, frameLength, buffer,
                        bytesOffset + ReadDataEncoder.bytesHeaderLength());
                    claim.commit();
                }
                catch (final RuntimeException ex)
                {
                    claim.abort();
                    final long requestId = requestIds[index];
                    final Path file = readRegions[index].path();
                    completeHead();
                    fail(requestId, ErrorCode.IO_ERROR, "cannot read " + Quote.of(file.toString()) + ": " +
                        Quote.of(ex.toString()));
                    continue;
                }
                bytesServed.getAndAddOrdered(frameLength);
                served.add(frameLength);

                sent[index] = readOffset + frameLength;
                if (sent[index] == lengths[index])
                {
                    readsServed.incrementOrdered();
                    completeHead();
                }
                return FRAME_OVERHEAD + frameLength;
            }
            return 0;
        }

        private void completeHead()
        {
            readRegions[head] = null;
            head = (head + 1) % requestIds.length;
            count--;
        }

        @Override
        public void close()
        {
            CloseHelper.quietClose(outbox);
        }
    }
}
