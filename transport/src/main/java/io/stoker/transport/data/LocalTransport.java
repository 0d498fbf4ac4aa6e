package io.stoker.transport.data;

import java.nio.ByteBuffer;

/**
 * The {@code local} transport: reaches data servers on the same host by mapping their shard files.
 */
public final class LocalTransport implements DataTransport
{
    private final String hostId;
    private final int maxReadsInFlight;

    /**
     * @param hostId           this host's id; servers advertising the same id are local.
     * @param maxReadsInFlight reads each reader accepts before pushing back.
     */
    public LocalTransport(final String hostId, final int maxReadsInFlight)
    {
        this.hostId = hostId;
        this.maxReadsInFlight = maxReadsInFlight;
    }

    public TransportKind kind()
    {
        return TransportKind.LOCAL;
    }

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

    public DataReader connect(final ServerAdvertisement server, final ByteBuffer localMemory)
    {
        return new LocalDataReader(server, maxReadsInFlight);
    }

    public void close()
    {
    }
}
