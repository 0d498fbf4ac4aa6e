package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvCompChannel;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaCmId;
import io.stoker.transport.data.RegionServer;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.concurrent.NanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The data server's side of the {@code rdma} transport: maps each shard file and registers the mapping
 * with {@code IBV_ACCESS_REMOTE_READ} only (never remote write: a worker's RDMA WRITE into it fails with
 * a remote access error), advertises its address and rkey, and accepts workers' connections on a
 * listening rdma_cm id bound to the device's address. It does no work per read: the device serves
 * RDMA READs without the server's CPU.
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

    private static final int BACKLOG = 128;
    private static final int CM_EVENTS_PER_POLL = 16;
    private static final long CM_POLL_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final RdmaDevice device;
    private final IbvCompChannel completionChannel;
    private final IbvCQ completionQueue;
    private final String endpoint;
    private final NanoClock clock;
    private final ErrorHandler errorHandler;
    private final List<MappedByteBuffer> mappings = new ArrayList<>();
    private final List<IbvMr> registrations = new ArrayList<>();
    private final List<RdmaCmId> connections = new ArrayList<>();
    private long nextCmPollNs;

    /**
     * Listen for workers' connections. Call at start-up.
     *
     * @param address      IP address of the RDMA device to serve on (not a wildcard).
     * @param port         port to listen on, 0 for any free one.
     * @param clock        time source.
     * @param errorHandler told of regions that cannot be exported and connections that cannot be accepted.
     * @throws UncheckedIOException when the address has no RDMA device or a verbs call fails.
     */
    public RdmaRegionServer(
        final String address, final int port, final NanoClock clock, final ErrorHandler errorHandler)
    {
        this.clock = clock;
        this.errorHandler = errorHandler;
        nextCmPollNs = clock.nanoTime();
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
            // server queue pairs post nothing: this queue only satisfies the verbs, it never fills
            completionQueue = device.context().createCQ(compChannel, 1, 0);
            completionChannel = compChannel;
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
     * Map and register the region's file. A region that cannot be is returned without an RDMA address
     * (and reported): workers read it over another transport.
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
        try
        {
            final MappedByteBuffer mapping = map(Path.of(region.path()), region.length());
            final IbvMr registration;
            try
            {
                registration = device.register(mapping, IbvMr.IBV_ACCESS_REMOTE_READ);
            }
            catch (final IOException ex)
            {
                IoUtil.unmap(mapping);
                throw ex;
            }
            mappings.add(mapping);
            registrations.add(registration);
            return new ServerAdvertisement.Region(
                region.id(), region.length(), region.path(), registration.getAddr(), registration.getRkey());
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
     * Accept and clean up connections; at most every 10 ms, since each look at the event channel costs a
     * system call (and DiSNI a small allocation).
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
        return events;
    }

    @Override
    public void close()
    {
        connections.forEach(RdmaRegionServer::destroy);
        connections.clear();
        for (final IbvMr registration : registrations)
        {
            try
            {
                registration.deregMr().execute().free();
            }
            catch (final IOException ignore)
            {
                // closing: the mapping is released below regardless
            }
        }
        registrations.clear();
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
            try
            {
                id.createQP(device.protectionDomain(), RdmaDevice.queuePairAttributes(completionQueue, 1));
                id.accept(RdmaDevice.connectionParameters());
                connections.add(id);
            }
            catch (final IOException ex)
            {
                error("refused a worker's connection: " + ex.getMessage());
                destroy(id);
            }
        }
        else if (RdmaCmEvent.EventType.RDMA_CM_EVENT_DISCONNECTED.ordinal() == type ||
            RdmaCmEvent.EventType.RDMA_CM_EVENT_CONNECT_ERROR.ordinal() == type ||
            RdmaCmEvent.EventType.RDMA_CM_EVENT_UNREACHABLE.ordinal() == type)
        {
            if (connections.remove(id))
            {
                destroy(id);
            }
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
