package io.stoker.worker;

import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import org.agrona.CloseHelper;
import org.agrona.collections.Int2ObjectHashMap;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The data servers a worker knows and, for those of the job's dataset, a reader for every transport
 * that reaches each of them.
 * <p>
 * A read goes first over the best transport ({@link TransportKind} order) of a server holding the
 * region, spread over equally good servers; each retry moves to the next (server, transport) pair, so a
 * failed RDMA read is tried again over the same server's UDP, or on a replica. The choice for each server
 * is logged once, with the reasons the better transports could not reach it.
 * <p>
 * Only available readers ({@link DataReader#isAvailable()}) get reads: a reader whose connection is gone has
 * failed what it held and is skipped until it is back, so a dead server costs a retry on a replica, not a lease.
 * Each change of a reader's availability, after it was first up, is logged.
 */
final class ServerDirectory implements ReadPipeline.Readers, AutoCloseable
{
    private static final TransportKind[] KINDS = TransportKind.values();
    private static final byte NEVER_UP = 0;
    private static final byte UP = 1;
    private static final byte DOWN = 2;

    private final List<DataTransport> transports;
    private final TransportKind forced;
    private final Consumer<String> logger;
    private final String owner;
    private final Consumer<DataReader> onReaderClosed;
    private final List<ServerLink> servers = new ArrayList<>();
    private final Int2ObjectHashMap<ServerLink> serversById = new Int2ObjectHashMap<>();
    private ByteBuffer localMemory;
    private String datasetId;

    /**
     * @param onReaderClosed told of each reader closed while reads may be in flight on it: those reads
     *                       will never complete, the caller retries them.
     */
    ServerDirectory(
        final List<DataTransport> transports,
        final TransportKind forced,
        final Consumer<String> logger,
        final String owner,
        final Consumer<DataReader> onReaderClosed)
    {
        this.onReaderClosed = onReaderClosed;
        this.transports = new ArrayList<>(transports);
        this.transports.sort((a, b) -> a.kind().compareTo(b.kind()));
        this.forced = forced;
        this.logger = logger;
        this.owner = owner;
    }

    /**
     * Merge an advertisement. A server already known under another id (the coordinator restarted and
     * numbered it anew) keeps its readers.
     */
    void onAdvertisement(final RegionAdvertisementDecoder decoder)
    {
        final int serverId = decoder.serverId();
        ServerLink link = serversById.get(serverId);
        if (null == link)
        {
            link = new ServerLink(new ServerAdvertisement(serverId));
            link.advertisement.apply(decoder);
            final ServerLink known = sameServer(link.advertisement);
            if (null != known)
            {
                serversById.remove(known.advertisement.serverId());
                servers.remove(known);
                close(known);
            }
            serversById.put(serverId, link);
            servers.add(link);
        }
        else
        {
            link.advertisement.apply(decoder);
        }
        if (null != localMemory && !link.connected && link.advertisement.datasetId().equals(datasetId))
        {
            connect(link);
        }
    }

    /**
     * Read the job's dataset into this memory: connects every known server of that dataset.
     */
    void bind(final ByteBuffer memory, final String datasetId)
    {
        this.localMemory = memory;
        this.datasetId = datasetId;
        for (int i = 0, size = servers.size(); i < size; i++)
        {
            final ServerLink link = servers.get(i);
            close(link);
            if (link.advertisement.datasetId().equals(datasetId))
            {
                connect(link);
            }
        }
    }

    /**
     * Forget a server whose lease ended: reads in flight to it are abandoned.
     *
     * @return true if it was a known server.
     */
    boolean remove(final int serverId)
    {
        final ServerLink link = serversById.remove(serverId);
        if (null == link)
        {
            return false;
        }
        servers.remove(link);
        close(link);
        logger.accept(owner + ": data server " + serverId + " left");
        return true;
    }

    /**
     * Choose a reader for a read of a region.
     *
     * @param regionId the region.
     * @param spread   spreads first attempts over equally good servers (the chunk id).
     * @param attempt  0 for the first try; each retry moves to the next (server, transport) pair.
     * @return a reader, or null when no available reader of a server reaches the region.
     */
    @Override
    public DataReader readerFor(final int regionId, final int spread, final int attempt)
    {
        int candidates = 0;
        int bestTier = 0;
        for (final TransportKind kind : KINDS)
        {
            final int ofKind = count(regionId, kind);
            if (0 == candidates)
            {
                bestTier = ofKind;
            }
            candidates += ofKind;
        }
        if (0 == candidates)
        {
            return null;
        }

        final int pick = (Math.floorMod(spread, Math.max(1, bestTier)) + attempt) % candidates;
        int index = 0;
        for (final TransportKind kind : KINDS)
        {
            for (int i = 0, size = servers.size(); i < size; i++)
            {
                final ServerLink link = servers.get(i);
                final DataReader reader = link.readers[kind.ordinal()];
                if (null != reader && reader.isAvailable() && null != link.advertisement.region(regionId) &&
                    index++ == pick)
                {
                    return reader;
                }
            }
        }
        return null;
    }

    /**
     * Poll every reader for completions.
     */
    @Override
    public int poll(final ReadCompletionHandler handler)
    {
        int work = 0;
        for (int i = 0, size = servers.size(); i < size; i++)
        {
            final ServerLink link = servers.get(i);
            for (int kind = 0; kind < KINDS.length; kind++)
            {
                final DataReader reader = link.readers[kind];
                if (null != reader)
                {
                    work += reader.poll(handler);
                    noteAvailability(link, kind, reader.isAvailable());
                }
            }
        }
        return work;
    }

    /**
     * @return reads in flight over all readers.
     */
    int inFlight()
    {
        int inFlight = 0;
        for (int i = 0, size = servers.size(); i < size; i++)
        {
            for (final DataReader reader : servers.get(i).readers)
            {
                if (null != reader)
                {
                    inFlight += reader.inFlight();
                }
            }
        }
        return inFlight;
    }

    /**
     * @return each server's first-choice transport, as a {@link TransportKind} set.
     */
    byte transportsInUse()
    {
        byte set = 0;
        for (final ServerLink link : servers)
        {
            final DataReader best = link.best();
            if (null != best)
            {
                set = best.kind().addTo(set);
            }
        }
        return set;
    }

    @Override
    public void close()
    {
        servers.forEach(this::close);
        servers.clear();
        serversById.clear();
        CloseHelper.closeAll(transports);
    }

    private void noteAvailability(final ServerLink link, final int kind, final boolean available)
    {
        final byte now = available ? UP : DOWN;
        final byte before = link.availability[kind];
        if (now != before && (available || NEVER_UP != before))
        {
            if (NEVER_UP != before)
            {
                logger.accept(owner + ": data server " + link.advertisement.serverId() + " over " +
                    KINDS[kind].label() + (available ? " is back" : " is down: its reads go to replicas"));
            }
            link.availability[kind] = now;
        }
    }

    private int count(final int regionId, final TransportKind kind)
    {
        int count = 0;
        for (int i = 0, size = servers.size(); i < size; i++)
        {
            final ServerLink link = servers.get(i);
            final DataReader reader = link.readers[kind.ordinal()];
            if (null != reader && reader.isAvailable() && null != link.advertisement.region(regionId))
            {
                count++;
            }
        }
        return count;
    }

    /**
     * @return the known server at the same host and endpoints, or null.
     */
    private ServerLink sameServer(final ServerAdvertisement server)
    {
        for (final ServerLink link : servers)
        {
            final ServerAdvertisement known = link.advertisement;
            if (known.hostId().equals(server.hostId()) && known.udpChannel().equals(server.udpChannel()) &&
                known.rdmaEndpoint().equals(server.rdmaEndpoint()))
            {
                return link;
            }
        }
        return null;
    }

    private void close(final ServerLink link)
    {
        for (int i = 0; i < link.readers.length; i++)
        {
            final DataReader reader = link.readers[i];
            if (null != reader)
            {
                onReaderClosed.accept(reader);
                CloseHelper.quietClose(reader);
                link.readers[i] = null;
                link.availability[i] = NEVER_UP;
            }
        }
        link.connected = false;
    }

    private void connect(final ServerLink link)
    {
        link.connected = true;
        final ServerAdvertisement server = link.advertisement;
        final StringBuilder reasons = new StringBuilder();
        for (final DataTransport transport : transports)
        {
            if (null != forced && transport.kind() != forced)
            {
                continue;
            }
            final String reason = transport.unreachableReason(server);
            if (null == reason)
            {
                try
                {
                    link.readers[transport.kind().ordinal()] = transport.connect(server, localMemory);
                    continue;
                }
                catch (final RuntimeException ex)
                {
                    reasons.append(reasons.length() > 0 ? "; " : "").append(transport.kind().label()).append(": ")
                        .append(ex.getMessage());
                }
            }
            else if (null == link.best())
            {
                reasons.append(reasons.length() > 0 ? "; " : "").append(transport.kind().label()).append(": ")
                    .append(reason);
            }
        }

        final DataReader best = link.best();
        if (null != best)
        {
            logger.accept(owner + ": reads " + server + " over " + best.kind().label() +
                (reasons.length() > 0 ? " (" + reasons + ")" : ""));
        }
        else
        {
            logger.accept(owner + ": cannot reach " + server + ": " +
                (reasons.length() > 0 ? reasons : "transport " + forced + " is not available"));
        }
    }

    private static final class ServerLink
    {
        final ServerAdvertisement advertisement;
        final DataReader[] readers = new DataReader[KINDS.length];
        final byte[] availability = new byte[KINDS.length];
        boolean connected;

        ServerLink(final ServerAdvertisement advertisement)
        {
            this.advertisement = advertisement;
        }

        DataReader best()
        {
            for (final DataReader reader : readers)
            {
                if (null != reader)
                {
                    return reader;
                }
            }
            return null;
        }
    }
}
