package io.stoker.worker;

import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegionAdvertisementEncoder;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which reader a read goes to, with two replica servers whose readers a test takes down and brings back.
 */
class ServerDirectoryTest
{
    private static final String DATASET = "dataset-of-the-directory-test";
    private static final int REGION = 3;
    private static final ReadCompletionHandler NO_COMPLETIONS = new ReadCompletionHandler()
    {
        @Override
        public void onReadComplete(final long readId)
        {
        }

        @Override
        public void onReadFailed(final long readId, final String reason)
        {
        }
    };

    private final Map<Integer, FakeReader> readers = new HashMap<>();
    private final List<String> log = new ArrayList<>();
    private final List<DataReader> closed = new ArrayList<>();
    private final ServerDirectory directory = new ServerDirectory(
        List.of(new FakeTransport()), null, log::add, "worker rank 0", closed::add);

    /**
     * A server whose reader says it is down gets no read, first try or retry, while its replica takes them all;
     * once its reader is back it gets its share again. Each change is logged once; nothing is closed, since the
     * reader tries its server again on its own.
     */
    @Test
    void aDownServerGetsNoReadsUntilItsReaderIsBackAndItsReplicaTakesThemAll()
    {
        directory.onAdvertisement(advertisement(1, "host-a"));
        directory.onAdvertisement(advertisement(2, "host-b"));
        directory.bind(ByteBuffer.allocateDirect(4096), DATASET);
        final FakeReader a = readers.get(1);
        final FakeReader b = readers.get(2);
        directory.poll(NO_COMPLETIONS);
        assertEquals(Set.of(a, b), chosen(), "first tries spread over both replicas");

        a.available = false;
        directory.poll(NO_COMPLETIONS);
        assertEquals(Set.of(b), chosen(), "every try goes to the live replica");
        assertTrue(log.contains("worker rank 0: data server 1 over udp is down: its reads go to replicas"),
            log.toString());

        b.available = false;
        directory.poll(NO_COMPLETIONS);
        assertNull(directory.readerFor(REGION, 0, 0), "no server reachable: the read waits for one");

        a.available = true;
        b.available = true;
        directory.poll(NO_COMPLETIONS);
        assertEquals(Set.of(a, b), chosen());
        assertTrue(log.contains("worker rank 0: data server 1 over udp is back"), log.toString());
        assertEquals(List.of(), closed);
    }

    /**
     * A reader that was never up (its connection is being opened) is not reported down.
     */
    @Test
    void aReaderNotUpYetIsNotReportedDown()
    {
        directory.onAdvertisement(advertisement(1, "host-a"));
        directory.bind(ByteBuffer.allocateDirect(4096), DATASET);
        readers.get(1).available = false;
        directory.poll(NO_COMPLETIONS);
        assertNull(directory.readerFor(REGION, 0, 0));
        readers.get(1).available = true;
        directory.poll(NO_COMPLETIONS);
        assertEquals(readers.get(1), directory.readerFor(REGION, 0, 0));
        assertEquals(1, log.size(), "only the choice of transport: " + log);
    }

    /**
     * @return every reader chosen for the region over many spreads and attempts.
     */
    private Set<DataReader> chosen()
    {
        final Set<DataReader> chosen = new HashSet<>();
        for (int spread = 0; spread < 8; spread++)
        {
            for (int attempt = 0; attempt < 4; attempt++)
            {
                chosen.add(directory.readerFor(REGION, spread, attempt));
            }
        }
        return chosen;
    }

    private static RegionAdvertisementDecoder advertisement(final int serverId, final String host)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
        final RegionAdvertisementEncoder encoder = new RegionAdvertisementEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).serverId(serverId);
        encoder.transports().clear().udp(true);
        encoder.regionsCount(1).next().regionId(REGION).length(1 << 20).rdmaAddress(0).rdmaKey(0).path("shard-3");
        encoder.datasetId(DATASET).hostId(host).udpChannel("aeron:udp?endpoint=10.0.0.1:" + (7000 + serverId))
            .rdmaEndpoint("");
        return new RegionAdvertisementDecoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderDecoder());
    }

    private final class FakeTransport implements DataTransport
    {
        @Override
        public TransportKind kind()
        {
            return TransportKind.UDP;
        }

        @Override
        public String unreachableReason(final ServerAdvertisement server)
        {
            return null;
        }

        @Override
        public DataReader connect(final ServerAdvertisement server, final ByteBuffer localMemory)
        {
            final FakeReader reader = new FakeReader();
            readers.put(server.serverId(), reader);
            return reader;
        }

        @Override
        public void close()
        {
        }
    }

    private static final class FakeReader implements DataReader
    {
        boolean available = true;

        @Override
        public TransportKind kind()
        {
            return TransportKind.UDP;
        }

        @Override
        public boolean read(
            final long readId,
            final int regionId,
            final long offset,
            final int length,
            final AtomicBuffer destination,
            final int destinationOffset)
        {
            return true;
        }

        @Override
        public int poll(final ReadCompletionHandler handler)
        {
            return 0;
        }

        @Override
        public int inFlight()
        {
            return 0;
        }

        @Override
        public boolean isAvailable()
        {
            return available;
        }

        @Override
        public void close()
        {
        }
    }
}
