package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvCompChannel;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.SVCPollCq;
import io.stoker.transport.data.RegionServer;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.session.RdmaConnectProof;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.NanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The data server's side of the {@code rdma} transport: maps each shard file, advertises its address (no key:
 * keys are per connection), and accepts workers' connections on a listening rdma_cm id bound to the device's
 * address. Each connection ({@link RdmaConnection}) has its own protection domain; the server sends a fresh random
 * challenge on it once established, the worker answers with a {@link RdmaConnectProof} of its registration with the
 * coordinator over that challenge (a proof replayed from another connection is refused), and only once that
 * verified are the
 * regions registered for that connection, with {@code IBV_ACCESS_REMOTE_READ} only (never remote write: a
 * worker's RDMA WRITE into them fails with a remote access error), and their keys sent back. An unproven
 * connection, or one proven by a registration whose lease ended, gets nothing and is closed (counted in
 * {@link #refusedConnections()}). When the coordinator says a worker's lease ended ({@link #fence}) that
 * registration's keys are deregistered at once, so its next READ fails on the NIC. The server does no work per
 * read: the device serves RDMA READs without the server's CPU.
 * <p>
 * Mappings are shared and read-write where the file can be opened for writing: Linux 6.1 cannot register
 * a read-only shared mapping (its pinning asks for write access, EFAULT), and a private mapping would
 * pin a copy of the file. Nothing is written through it. A region longer than {@link #MAX_REGION_LENGTH}
 * (a verbs registration's length is an int here) is not exported over RDMA: its reads fail on the worker
 * at once, and the worker takes the next transport.
 */
public final class RdmaRegionServer implements RegionServer
{
    /**
     * The longest region that can be registered: 2 GiB - 1.
     */
    public static final long MAX_REGION_LENGTH = Integer.MAX_VALUE;

    /**
     * Most workers' connections at once; one more is refused.
     */
    public static final int MAX_CONNECTIONS = 1024;

    private static final int BACKLOG = 128;
    private static final int CM_EVENTS_PER_POLL = 16;
    private static final int COMPLETIONS_PER_POLL = 16;
    private static final long CM_POLL_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long REVOKED_LINGER_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long REFUSAL_LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private final RdmaDevice device;
    private final IbvCompChannel completionChannel;
    private final IbvCQ completionQueue;
    private final IbvWC[] completions = new IbvWC[COMPLETIONS_PER_POLL];
    private final SVCPollCq pollCall;
    private final String endpoint;
    private final JobToken token;
    private final NanoClock clock;
    private final ErrorHandler errorHandler;
    private final List<MappedByteBuffer> mappings = new ArrayList<>();
    private final IntArrayList regionIds = new IntArrayList();
    private final RdmaConnectionTable<RdmaConnection> connections = new RdmaConnectionTable<>();
    private final Map<RdmaCmId, RdmaConnection> connectionsById = new IdentityHashMap<>();
    private final List<RdmaConnection> revoked = new ArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private long nextSerial;
    private long nextCmPollNs;
    private long refusedConnections;
    private long nextRefusalLogNs;
    private long unloggedRefusals;
    private long revokedConnections;

    /**
     * Listen for workers' connections. Call at start-up.
     *
     * @param address      IP address of the RDMA device to serve on (not a wildcard).
     * @param port         port to listen on, 0 for any free one.
     * @param token        the job token workers prove their connections with, or null when the job has none
     *                     (their claims are then taken as they are).
     * @param clock        time source.
     * @param errorHandler told of regions that cannot be exported and connections that cannot be accepted.
     * @throws UncheckedIOException when the address has no RDMA device or a verbs call fails.
     */
    public RdmaRegionServer(
        final String address,
        final int port,
        final JobToken token,
        final NanoClock clock,
        final ErrorHandler errorHandler)
    {
        this.token = token;
        this.clock = clock;
        this.errorHandler = errorHandler;
        nextCmPollNs = clock.nanoTime();
        nextRefusalLogNs = nextCmPollNs;
        for (int i = 0; i < COMPLETIONS_PER_POLL; i++)
        {
            completions[i] = new IbvWC();
        }
        IbvCompChannel compChannel = null;
        try
        {
            device = RdmaDevice.open(new InetSocketAddress(address, port));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("rdma data server: " + ex.getMessage(), ex);
        }
        try
        {
            device.id().listen(BACKLOG);
            endpoint = RdmaEndpoints.format((InetSocketAddress)device.id().getSource());
            compChannel = device.context().createCompChannel();
            // each connection completes its challenge's send, its proof's receive and its key table's send, once each
            completionQueue = device.context().createCQ(compChannel, 3 * MAX_CONNECTIONS, 0);
            completionChannel = compChannel;
            pollCall = completionQueue.poll(completions, COMPLETIONS_PER_POLL);
        }
        catch (final IOException ex)
        {
            destroy(compChannel);
            device.close();
            throw new UncheckedIOException("rdma data server on " + address + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public TransportKind kind()
    {
        return TransportKind.RDMA;
    }

    /**
     * Map the region's file and check that it can be registered (registered and deregistered at once: each
     * connection registers it anew). A region that cannot be is returned without an RDMA address (and reported):
     * workers read it over another transport. The region is advertised with its address and key 0.
     */
    @Override
    public ServerAdvertisement.Region export(final ServerAdvertisement.Region region)
    {
        if (0 == region.length())
        {
            return region;
        }
        if (region.length() > MAX_REGION_LENGTH)
        {
            error("region " + region.id() + " (" + region.path() + ") is " + region.length() +
                " bytes, more than the " + MAX_REGION_LENGTH +
                " one RDMA registration can hold: it is served over the other transports");
            return region;
        }
        if (mappings.size() == RdmaKeyTable.MAX_REGIONS)
        {
            error("region " + region.id() + " (" + region.path() + ") is one more than the " +
                RdmaKeyTable.MAX_REGIONS + " regions a server exports over rdma: it is served over the other " +
                "transports");
            return region;
        }
        try
        {
            final MappedByteBuffer mapping = map(Path.of(region.path()), region.length());
            final long address;
            try
            {
                final IbvMr registration = device.register(mapping, IbvMr.IBV_ACCESS_REMOTE_READ);
                address = registration.getAddr();
                registration.deregMr().execute().free();
            }
            catch (final IOException ex)
            {
                IoUtil.unmap(mapping);
                throw ex;
            }
            mappings.add(mapping);
            regionIds.addInt(region.id());
            return new ServerAdvertisement.Region(region.id(), region.length(), region.path(), address, 0);
        }
        catch (final IOException ex)
        {
            error("region " + region.id() + " (" + region.path() + ") cannot be registered: " + ex.getMessage() +
                "; it is served over the other transports");
            return region;
        }
    }

    /**
     * @return {@code IP:PORT} of the listening id.
     */
    @Override
    public String endpoint()
    {
        return endpoint;
    }

    /**
     * A worker's lease ended (the coordinator said so): deregister the keys of every connection its registration
     * proved, at once, and refuse that registration from now on. The connections are closed when their worker
     * disconnects (its next READ fails with a remote access error, which breaks its queue pair), or a second
     * later.
     *
     * @param registrationId the correlation id of the worker's registration whose lease ended.
     */
    @Override
    public void fence(final long registrationId)
    {
        final long nowNs = clock.nanoTime();
        for (final RdmaConnection connection : connections.fence(registrationId))
        {
            final String failure = connection.revoke(nowNs);
            if (null != failure)
            {
                error(failure);
            }
            revoked.add(connection);
            revokedConnections++;
        }
    }

    /**
     * @return connections refused: unproven, proven by a fenced registration, or beyond {@link #MAX_CONNECTIONS}.
     */
    public long refusedConnections()
    {
        return refusedConnections;
    }

    /**
     * @return connections whose keys were deregistered because their worker's lease ended.
     */
    public long revokedConnections()
    {
        return revokedConnections;
    }

    /**
     * @return connections open now.
     */
    public int connections()
    {
        return connections.size();
    }

    /**
     * Accept and clean up connections, and answer proofs; at most every 10 ms, since each look at the event
     * channel costs a system call (and DiSNI a small allocation).
     */
    @Override
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        if (nowNs - nextCmPollNs < 0)
        {
            return 0;
        }
        nextCmPollNs = nowNs + CM_POLL_INTERVAL_NS;
        int events = 0;
        try
        {
            RdmaCmEvent event;
            while (events < CM_EVENTS_PER_POLL && null != (event = device.channel().getCmEvent(0)))
            {
                events++;
                onCmEvent(event.getEvent(), event.getConnIdPriv());
                event.ackEvent();
            }
        }
        catch (final IOException ex)
        {
            error("rdma_cm event channel: " + ex.getMessage());
        }
        return events + pollCompletions() + closeLingering(nowNs);
    }

    @Override
    public void close()
    {
        for (final RdmaConnection connection : new ArrayList<>(connectionsById.values()))
        {
            close(connection);
        }
        pollCall.free();
        mappings.forEach(IoUtil::unmap);
        mappings.clear();
        try
        {
            completionQueue.destroyCQ();
        }
        catch (final IOException ignore)
        {
            // closing
        }
        destroy(completionChannel);
        device.close();
    }

    private void onCmEvent(final int type, final RdmaCmId id)
    {
        if (RdmaCmEvent.EventType.RDMA_CM_EVENT_CONNECT_REQUEST.ordinal() == type)
        {
            if (connections.size() >= MAX_CONNECTIONS)
            {
                refuse(null, "already " + MAX_CONNECTIONS + " connections");
                destroy(id);
                return;
            }
            try
            {
                final RdmaConnection connection = RdmaConnection.accept(
                    nextSerial++, id, device.context(), completionQueue, mappings.size(), random);
                connections.add(connection.serial(), connection);
                connectionsById.put(id, connection);
            }
            catch (final IOException ex)
            {
                error("refused a worker's connection: " + ex.getMessage());
            }
        }
        else if (RdmaCmEvent.EventType.RDMA_CM_EVENT_ESTABLISHED.ordinal() == type)
        {
            final RdmaConnection connection = connectionsById.get(id);
            if (null != connection)
            {
                try
                {
                    connection.challenge();
                }
                catch (final IOException ex)
                {
                    error("cannot challenge a worker's connection: " + ex.getMessage());
                    close(connection);
                }
            }
        }
        else if (RdmaCmEvent.EventType.RDMA_CM_EVENT_DISCONNECTED.ordinal() == type ||
            RdmaCmEvent.EventType.RDMA_CM_EVENT_CONNECT_ERROR.ordinal() == type ||
            RdmaCmEvent.EventType.RDMA_CM_EVENT_UNREACHABLE.ordinal() == type)
        {
            final RdmaConnection connection = connectionsById.get(id);
            if (null != connection)
            {
                close(connection);
            }
        }
    }

    /**
     * The proofs' receives and the key tables' sends.
     */
    private int pollCompletions()
    {
        final int count;
        try
        {
            count = pollCall.execute().getPolls();
        }
        catch (final IOException ex)
        {
            error("polling the completion queue: " + ex.getMessage());
            return 0;
        }
        for (int i = 0; i < count; i++)
        {
            final IbvWC completion = completions[i];
            final RdmaConnection connection = connections.get(completion.getWr_id() >>> 1);
            if (null == connection)
            {
                continue;
            }
            if (RdmaReads.SUCCESS != completion.getStatus())
            {
                close(connection);
            }
            else if (RdmaConnection.RECEIVE == (completion.getWr_id() & 1))
            {
                onProof(connection, completion.getByte_len());
            }
        }
        return count;
    }

    private void onProof(final RdmaConnection connection, final int length)
    {
        final String invalid =
            RdmaConnectProof.verify(token, endpoint, connection.nonce(), 0, connection.handshake(), 0, length);
        if (null != invalid)
        {
            refuse(connection, "an unproven connection: " + invalid);
            return;
        }
        final long registrationId = RdmaConnectProof.registrationId(connection.handshake(), 0);
        final int rank = RdmaConnectProof.rank(connection.handshake(), 0);
        if (!connections.prove(connection.serial(), registrationId))
        {
            refuse(connection, "a connection of rank " + rank + " under registration " + registrationId +
                ", whose lease ended");
            return;
        }
        try
        {
            connection.serve(mappings, regionIds.toIntArray());
        }
        catch (final IOException ex)
        {
            error("cannot serve rank " + rank + "'s connection: " + ex.getMessage());
            close(connection);
        }
    }

    private int closeLingering(final long nowNs)
    {
        int closed = 0;
        for (int i = revoked.size() - 1; i >= 0; i--)
        {
            final RdmaConnection connection = revoked.get(i);
            if (nowNs - connection.revokedAtNs() > REVOKED_LINGER_NS)
            {
                close(connection);
                closed++;
            }
        }
        return closed;
    }

    /**
     * Count a refusal; log at most one a second (a fenced worker tries again every 200 ms until it registered
     * again), with how many went unlogged.
     */
    private void refuse(final RdmaConnection connection, final String why)
    {
        refusedConnections++;
        final long nowNs = clock.nanoTime();
        if (nowNs - nextRefusalLogNs >= 0)
        {
            error("refused " + why + (0 == unloggedRefusals ? "" :
                " (and " + unloggedRefusals + " refusals not logged since the last line)"));
            nextRefusalLogNs = nowNs + REFUSAL_LOG_INTERVAL_NS;
            unloggedRefusals = 0;
        }
        else
        {
            unloggedRefusals++;
        }
        if (null != connection)
        {
            close(connection);
        }
    }

    private void close(final RdmaConnection connection)
    {
        connections.remove(connection.serial());
        connectionsById.remove(connection.id());
        revoked.remove(connection);
        final String failure = connection.close();
        if (null != failure)
        {
            error(failure);
        }
    }

    private void error(final String message)
    {
        errorHandler.onError(new IllegalStateException("rdma data server: " + message));
    }

    /**
     * Map a file shared, read-write when it can be opened so (see the class comment), else read-only.
     */
    private static MappedByteBuffer map(final Path path, final long length) throws IOException
    {
        FileChannel.MapMode mode = FileChannel.MapMode.READ_WRITE;
        FileChannel channel;
        try
        {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        catch (final FileSystemException ex)
        {
            mode = FileChannel.MapMode.READ_ONLY;
            channel = FileChannel.open(path, StandardOpenOption.READ);
        }
        try (FileChannel file = channel)
        {
            if (file.size() != length)
            {
                throw new IOException(
                    "is " + file.size() + " bytes but was advertised as " + length + " (file changed?)");
            }
            return file.map(mode, 0, length);
        }
    }

    private static void destroy(final RdmaCmId id)
    {
        try
        {
            if (null != id.getQp())
            {
                id.destroyQP();
            }
            id.destroyId();
        }
        catch (final IOException ignore)
        {
            // the connection is gone either way
        }
    }

    private static void destroy(final IbvCompChannel channel)
    {
        if (null != channel)
        {
            try
            {
                channel.destroyCompChannel();
            }
            catch (final IOException ignore)
            {
                // closing
            }
        }
    }
}
