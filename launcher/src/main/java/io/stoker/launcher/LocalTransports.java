package io.stoker.launcher;

import io.stoker.server.DataServerContext;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.rdma.RdmaCapability;
import io.stoker.transport.rdma.RdmaRegionServer;
import io.stoker.transport.rdma.RdmaSettings;
import io.stoker.transport.rdma.RdmaTransport;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.udp.UdpRegionServer;
import io.stoker.transport.udp.UdpTransport;
import io.stoker.worker.Chunk;
import io.stoker.worker.WorkerContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The network transports a local cluster adds between its data server and its workers, beside the
 * same-host reads that are always there (and that workers prefer): {@code rdma} when this machine can
 * use it, {@code udp} over loopback when it is the transport forced.
 */
final class LocalTransports
{
    private static final long UDP_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);

    private final TransportKind forced;
    private final RdmaCapability rdma;
    private final String udpEndpoint;

    /**
     * Decide, probing RDMA unless another transport is forced.
     *
     * @param forced      the only transport workers may use, or null.
     * @param rdmaAddress the RDMA device's address, or null for the first device's.
     * @param logger      told in one line why RDMA is not used, when it is not forced.
     * @throws IllegalStateException when {@code rdma} is forced and cannot be used.
     */
    LocalTransports(final TransportKind forced, final String rdmaAddress, final Consumer<String> logger)
    {
        this.forced = forced;
        rdma = null == forced || TransportKind.RDMA == forced ? RdmaCapability.probe(rdmaAddress) : null;
        if (null != rdma && !rdma.isAvailable())
        {
            if (TransportKind.RDMA == forced)
            {
                throw new IllegalStateException("--transport rdma: " + rdma.unavailableReason());
            }
            logger.accept("stoker local: rdma not used: " + rdma.unavailableReason());
        }
        udpEndpoint = TransportKind.UDP == forced ? freeLoopbackEndpoint() : null;
    }

    /**
     * @return the data server's context, serving over the chosen transports.
     */
    DataServerContext serve(final DataServerContext ctx)
    {
        if (useRdma())
        {
            ctx.addRegionServer(c -> new RdmaRegionServer(rdma.address(), 0, c.jobToken(), c.nanoClock(),
                c.errorHandler()));
        }
        if (null != udpEndpoint)
        {
            ctx.addRegionServer(c -> new UdpRegionServer(c.aeron(), udpEndpoint, c.jobToken(), c.nanoClock(),
                UDP_TIMEOUT_NS, c.counters(), c.errorHandler()));
        }
        return ctx;
    }

    /**
     * @return a worker's context, reading over the chosen transports (only the forced one, if any).
     */
    <C extends Chunk> WorkerContext<C> read(final WorkerContext<C> ctx)
    {
        ctx.forcedTransport(forced);
        if (useRdma())
        {
            ctx.addTransport(c -> new RdmaTransport(rdma, RdmaSettings.DEFAULTS, c.readsInFlight(), c.nanoClock(),
                c.registration()));
        }
        if (null != udpEndpoint)
        {
            ctx.addTransport(c -> new UdpTransport(c.aeron(), freeLoopbackEndpoint(), c.registration(),
                c.hostId(), c.nanoClock(), c.readsInFlight(), UDP_TIMEOUT_NS,
                c.counters().get(CounterType.INVALID_MESSAGES), c.errorHandler()));
        }
        return ctx;
    }

    private boolean useRdma()
    {
        return null != rdma && rdma.isAvailable();
    }

    private static String freeLoopbackEndpoint()
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return "127.0.0.1:" + socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("no free UDP port on loopback: " + ex.getMessage(), ex);
        }
    }
}
