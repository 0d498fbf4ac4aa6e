package io.stoker.transport.data;

import java.nio.ByteBuffer;

/**
 * The {@code local} transport: reaches data servers on the same host by mapping their shard files.
 */
public final class LocalTransport implements DataTransport
{
    /**
     * Reads a local reader accepts at once. Its copies are synchronous, so more in flight would overlap
     * nothing: it would only spread each duty cycle's copies over more of the pool's buffers, out of
     * the CPU's cache (measured: a third of the feed's throughput).
     */
    public static final int READS_IN_FLIGHT = 1;

    private final String hostId;

    /**
     * @param hostId this host's id; servers advertising the same id are local.
     */
    public LocalTransport(final String hostId)
    {
        this.hostId = hostId;
    }

    @Override
    public TransportKind kind()
    {
        return TransportKind.LOCAL;
    }

    @Override
    public String unreachableReason(final ServerAdvertisement server)
    {
        if (!TransportKind.LOCAL.isIn(server.transports()))
        {
            return "server " + server.serverId() + " does not offer local reads";
        }
        if (!hostId.equals(server.hostId()))
        {
            return "server " + server.serverId() + " is on host " + server.hostId() + ", this worker on " + hostId;
        }
        return null;
    }

    @Override
    public DataReader connect(final ServerAdvertisement server, final ByteBuffer localMemory)
    {
        return new LocalDataReader(server, READS_IN_FLIGHT);
    }

    @Override
    public void close()
    {
    }
}
