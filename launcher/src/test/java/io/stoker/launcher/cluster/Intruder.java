package io.stoker.launcher.cluster;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A party on the network without the job token: an Aeron client of its own (embedded driver) that
 * sends whatever frames it likes to any endpoint and stream, raw UDP datagrams too, and listens where
 * it likes.
 */
final class Intruder implements AutoCloseable
{
    private static final Duration CONNECT = Duration.ofSeconds(20);

    private final AeronConnector connector = AeronConnector.connect(new AeronConnector.Context());
    private final List<AutoCloseable> resources = new ArrayList<>();

    /**
     * Send frames as Aeron messages from a session of its own, in order, and close the session.
     *
     * @return frames sent.
     */
    int send(final String endpoint, final int streamId, final List<byte[]> frames)
    {
        try (ExclusivePublication publication = connected(endpoint, streamId))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
            for (final byte[] frame : frames)
            {
                buffer.wrap(frame);
                offer(publication, buffer, frame.length);
            }
            return frames.size();
        }
    }

    /**
     * @return a publication of its own to the endpoint and stream, connected; closed with the intruder.
     */
    ExclusivePublication connected(final String endpoint, final int streamId)
    {
        final ExclusivePublication publication =
            connector.aeron().addExclusivePublication(ControlProtocol.udpChannel(endpoint), streamId);
        final long deadline = System.nanoTime() + CONNECT.toNanos();
        while (!publication.isConnected())
        {
            assertTrue(System.nanoTime() < deadline, "no subscriber at " + endpoint + " stream " + streamId);
            Thread.onSpinWait();
        }
        resources.add(publication);
        return publication;
    }

    /**
     * @return a subscription at an endpoint of its own; closed with the intruder.
     */
    Subscription listen(final String endpoint, final int streamId)
    {
        final Subscription subscription =
            connector.aeron().addSubscription(ControlProtocol.udpChannel(endpoint), streamId);
        resources.add(subscription);
        return subscription;
    }

    /**
     * Send datagrams that are not Aeron frames.
     */
    static void datagrams(final String endpoint, final List<byte[]> datagrams)
    {
        final int colon = endpoint.lastIndexOf(':');
        final InetSocketAddress address =
            new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
        try (DatagramSocket socket = new DatagramSocket())
        {
            for (final byte[] datagram : datagrams)
            {
                socket.send(new DatagramPacket(datagram, datagram.length, address));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static void offer(final ExclusivePublication publication, final UnsafeBuffer buffer, final int length)
    {
        final long deadline = System.nanoTime() + CONNECT.toNanos();
        while (publication.offer(buffer, 0, length) < 0)
        {
            assertTrue(System.nanoTime() < deadline, "the publication took nothing for " + CONNECT);
            Thread.onSpinWait();
        }
    }

    @Override
    public void close()
    {
        resources.forEach(CloseHelper::quietClose);
        connector.close();
    }
}
