package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvSendWR;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import org.agrona.concurrent.NanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The {@code rdma} transport, a worker's side: one-sided RDMA READs from data servers' registered regions
 * into the worker's buffer pool, which it registers once, on the first connection. Reaches a server
 * when this process can use RDMA ({@link RdmaCapability}) and the server offers it.
 * <p>
 * Every verbs object is made on the thread that calls {@link #connect}: the worker's agent.
 */
public final class RdmaTransport implements DataTransport
{
    private final RdmaCapability capability;
    private final RdmaSettings settings;
    private final int maxReads;
    private final NanoClock clock;
    private final WorkerRegistration registration;
    private RdmaDevice device;
    private ByteBuffer registeredMemory;
    private IbvMr memoryRegistration;

    /**
     * @param capability what the start-up probe found: the local device address, or why RDMA is unusable.
     * @param settings   read size, queue pairs, reads per queue pair, timeout.
     * @param maxReads   reads each reader accepts at once.
     * @param clock      time source for timeouts.
     * @param registration the worker's registration, which each connection proves to its server.
     */
    public RdmaTransport(
        final RdmaCapability capability,
        final RdmaSettings settings,
        final int maxReads,
        final NanoClock clock,
        final WorkerRegistration registration)
    {
        this.registration = registration;
        this.capability = capability;
        this.settings = settings;
        this.maxReads = maxReads;
        this.clock = clock;
    }

    @Override
    public TransportKind kind()
    {
        return TransportKind.RDMA;
    }

    @Override
    public String unreachableReason(final ServerAdvertisement server)
    {
        if (!capability.isAvailable())
        {
            return capability.unavailableReason();
        }
        if (!TransportKind.RDMA.isIn(server.transports()) || server.rdmaEndpoint().isEmpty())
        {
            return "server " + server.serverId() + " does not offer rdma reads";
        }
        return null;
    }

    /**
     * @throws UncheckedIOException when the device cannot be opened or the memory registered.
     * @throws IllegalStateException when called with other memory than the first call's.
     */
    @Override
    public DataReader connect(final ServerAdvertisement server, final ByteBuffer localMemory)
    {
        if (null == device)
        {
            register(localMemory);
        }
        else if (localMemory != registeredMemory)
        {
            throw new IllegalStateException("the rdma transport registered another buffer pool already");
        }
        return new RdmaDataReader(device, memoryRegistration, server, registration, settings, maxReads, clock,
            IbvSendWR.IBV_WR_RDMA_READ);
    }

    @Override
    public void close()
    {
        if (null != device)
        {
            try
            {
                memoryRegistration.deregMr().execute().free();
            }
            catch (final IOException ignore)
            {
                // the device is released below regardless
            }
            device.close();
            device = null;
        }
    }

    private void register(final ByteBuffer localMemory)
    {
        try
        {
            device = RdmaDevice.open(new InetSocketAddress(capability.address(), 0));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex.getMessage(), ex);
        }
        try
        {
            memoryRegistration = device.register(localMemory, IbvMr.IBV_ACCESS_LOCAL_WRITE);
            registeredMemory = localMemory;
        }
        catch (final IOException ex)
        {
            device.close();
            device = null;
            throw new UncheckedIOException("registering " + localMemory.capacity() + " bytes of buffers: " +
                ex.getMessage(), ex);
        }
    }
}
