package io.stoker.transport.udp;

import io.aeron.Aeron;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.JobToken;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;

import java.nio.ByteBuffer;

/**
 * The {@code udp} transport, a worker's side: read requests to a data server's endpoint over Aeron UDP,
 * answered with frames written straight into the destination buffers. Reaches any server that offers it.
 */
public final class UdpTransport implements DataTransport
{
    private final Aeron aeron;
    private final String dataChannel;
    private final JobToken token;
    private final NanoClock clock;
    private final int readsInFlight;
    private final long readTimeoutNs;
    private final AtomicCounter invalidMessages;

    /**
     * @param aeron         connected client.
     * @param endpoint      host:port on which this worker receives read data; one stream per server.
     * @param token         the job token to prove to data servers, or null.
     * @param clock         time source for timeouts.
     * @param readsInFlight reads each server connection accepts at once.
     * @param readTimeoutNs a read without progress for this long fails (and is retried elsewhere).
     * @param invalidMessages counts invalid messages from data servers.
     */
    public UdpTransport(
        final Aeron aeron,
        final String endpoint,
        final JobToken token,
        final NanoClock clock,
        final int readsInFlight,
        final long readTimeoutNs,
        final AtomicCounter invalidMessages)
    {
        this.invalidMessages = invalidMessages;
        this.aeron = aeron;
        this.dataChannel = ControlProtocol.udpChannel(endpoint);
        this.token = token;
        this.clock = clock;
        this.readsInFlight = readsInFlight;
        this.readTimeoutNs = readTimeoutNs;
    }

    public TransportKind kind()
    {
        return TransportKind.UDP;
    }

    public String unreachableReason(final ServerAdvertisement server)
    {
        if (!TransportKind.UDP.isIn(server.transports()) || server.udpChannel().isEmpty())
        {
            return "server " + server.serverId() + " does not offer udp reads";
        }
        return null;
    }

    public DataReader connect(final ServerAdvertisement server, final ByteBuffer localMemory)
    {
        return new UdpDataReader(aeron, server, dataChannel, ControlProtocol.DATA_RESPONSE_STREAM_BASE + server.serverId(),
            token, clock, readsInFlight, readTimeoutNs, invalidMessages);
    }

    public void close()
    {
    }
}
