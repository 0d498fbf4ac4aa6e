package io.stoker.transport.udp;

import io.aeron.Aeron;
import io.stoker.codecs.Role;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.ResponseChannels;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;

import java.nio.ByteBuffer;

/**
 * The {@code udp} transport, a worker's side: read requests to a data server's endpoint over Aeron UDP,
 * answered with frames written straight into the destination buffers. Reaches any server that offers it
 * at a channel of the one form Stoker uses.
 */
public final class UdpTransport implements DataTransport
{
    private final Aeron aeron;
    private final String dataChannel;
    private final WorkerRegistration registration;
    private final String hostId;
    private final NanoClock clock;
    private final int readsInFlight;
    private final long readTimeoutNs;
    private final AtomicCounter invalidMessages;
    private final ErrorHandler errorHandler;

    /**
     * @param aeron           connected client.
     * @param endpoint        host:port on which this worker receives read data; one stream per server.
     * @param registration    the worker's rank (as its data connections introduce it), the job token to prove to
     *                        data servers (or null), and its current registration, which each read names.
     * @param hostId          the worker's host id, likewise.
     * @param clock           time source for timeouts.
     * @param readsInFlight   reads each server connection accepts at once.
     * @param readTimeoutNs   a read without progress for this long fails (and is retried elsewhere).
     * @param invalidMessages counts messages refused on the data connections.
     * @param errorHandler    told of refused messages, at a bounded rate.
     */
    public UdpTransport(
        final Aeron aeron,
        final String endpoint,
        final WorkerRegistration registration,
        final String hostId,
        final NanoClock clock,
        final int readsInFlight,
        final long readTimeoutNs,
        final AtomicCounter invalidMessages,
        final ErrorHandler errorHandler)
    {
        this.aeron = aeron;
        this.dataChannel = ControlProtocol.udpChannel(endpoint);
        this.registration = registration;
        this.hostId = hostId;
        this.clock = clock;
        this.readsInFlight = readsInFlight;
        this.readTimeoutNs = readTimeoutNs;
        this.invalidMessages = invalidMessages;
        this.errorHandler = errorHandler;
    }

    @Override
    public TransportKind kind()
    {
        return TransportKind.UDP;
    }

    @Override
    public String unreachableReason(final ServerAdvertisement server)
    {
        if (!TransportKind.UDP.isIn(server.transports()) || server.udpChannel().isEmpty())
        {
            return "server " + server.serverId() + " does not offer udp reads";
        }
        final String channelRefusal = ResponseChannels.check(server.udpChannel(), dataChannel);
        if (null != channelRefusal)
        {
            return "server " + server.serverId() + " advertises udp channel " + Quote.of(server.udpChannel()) + ": " +
                channelRefusal;
        }
        return null;
    }

    @Override
    public DataReader connect(final ServerAdvertisement server, final ByteBuffer localMemory)
    {
        final HandshakeIdentity identity = new HandshakeIdentity(Role.WORKER, registration.rank(), (byte)0,
            ControlProtocol.DATA_RESPONSE_STREAM_BASE + server.serverId(), hostId, dataChannel)
            .forJob(registration.jobName());
        final Refusals refusals = new Refusals(
            "worker rank " + registration.rank() + ": data connection to server " + server.serverId(), invalidMessages,
            errorHandler, clock);
        return new UdpDataReader(aeron, server, identity, registration, clock, readsInFlight, readTimeoutNs, refusals);
    }

    @Override
    public void close()
    {
    }
}
