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
 * The data servers a worker knows, the transport it chose for each, and which servers hold a region.
 * A server's transport is the first of the worker's transports, in {@link TransportKind} order, that
 * can reach it; the choice is logged once per server with the reasons the better ones could not.
 */
final class ServerDirectory implements AutoCloseable
{
    private static final TransportKind[] KINDS = TransportKind.values();

    private final List<DataTransport> transports;
    private final TransportKind forced;
    private final Consumer<String> logger;
    private final String owner;
    private final Int2ObjectHashMap<ServerLink> servers = new Int2ObjectHashMap<>();
    private ByteBuffer localMemory;

    ServerDirectory(
        final List<DataTransport> transports, final TransportKind forced, final Consumer<String> logger, final String owner)
    {
        this.transports = new ArrayList<>(transports);
        this.transports.sort((a, b) -> a.kind().compareTo(b.kind()));
        this.forced = forced;
        this.logger = logger;
        this.owner = owner;
    }

    /**
     * Merge an advertisement; connects to a new server once the worker's memory is known.
     */
    void onAdvertisement(final RegionAdvertisementDecoder decoder)
    {
        final int serverId = decoder.serverId();
        ServerLink link = servers.get(serverId);
        if (null == link)
        {
            link = new ServerLink(new ServerAdvertisement(serverId));
            servers.put(serverId, link);
        }
        link.advertisement.apply(decoder);
        if (null != localMemory && null == link.reader && !link.unreachable)
        {
            connect(link);
        }
    }

    /**
     * Use this memory as the destination of every read; (re)connects all servers.
     */
    void bind(final ByteBuffer memory)
    {
        localMemory = memory;
        for (final ServerLink link : servers.values())
        {
            CloseHelper.quietClose(link.reader);
            link.reader = null;
            link.unreachable = false;
            connect(link);
        }
    }

    /**
     * Forget a server whose lease ended: reads in flight to it are abandoned.
     *
     * @return true if it was a known server.
     */
    boolean remove(final int serverId)
    {
        final ServerLink link = servers.remove(serverId);
        if (null == link)
        {
            return false;
        }
        CloseHelper.quietClose(link.reader);
        logger.accept(owner + ": data server " + serverId + " left");
        return true;
    }

    /**
     * Choose a reader for a read of a region.
     *
     * @param regionId the region.
     * @param spread   spreads first attempts over equally good servers (the chunk id).
     * @param attempt  0 for the first try; each retry moves to the next server holding the region.
     * @return a reader, or null when no connected server holds the region.
     */
    DataReader readerFor(final int regionId, final int spread, final int attempt)
    {
        int candidates = 0;
        int bestTier = 0;
        TransportKind bestKind = null;
        for (final ServerLink link : servers.values())
        {
            if (null != link.reader && null != link.advertisement.region(regionId))
            {
                candidates++;
                final TransportKind kind = link.reader.kind();
                if (null == bestKind || kind.compareTo(bestKind) < 0)
                {
                    bestKind = kind;
                    bestTier = 1;
                }
                else if (kind == bestKind)
                {
                    bestTier++;
                }
            }
        }
        if (0 == candidates)
        {
            return null;
        }

        final int start = Math.floorMod(spread, bestTier);
        final int pick = (start + attempt) % candidates;
        int index = 0;
        for (final TransportKind kind : KINDS)
        {
            for (final ServerLink link : servers.values())
            {
                if (null != link.reader && link.reader.kind() == kind && null != link.advertisement.region(regionId))
                {
                    if (index++ == pick)
                    {
                        return link.reader;
                    }
                }
            }
        }
        return null;
    }

    /**
     * Poll every reader for completions.
     */
    int poll(final ReadCompletionHandler handler)
    {
        int work = 0;
        for (final ServerLink link : servers.values())
        {
            if (null != link.reader)
            {
                work += link.reader.poll(handler);
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
        for (final ServerLink link : servers.values())
        {
            if (null != link.reader)
            {
                inFlight += link.reader.inFlight();
            }
        }
        return inFlight;
    }

    /**
     * @return e.g. "server 2: local, server 3: udp", for the run summary.
     */
    String describe()
    {
        final StringBuilder sb = new StringBuilder();
        servers.forEach((id, link) -> sb.append(sb.length() > 0 ? ", " : "").append("server ").append(id)
            .append(": ").append(null != link.reader ? link.reader.kind().label() : "unreachable"));
        return sb.toString();
    }

    /**
     * @return the transports in use, as a {@link TransportKind} set.
     */
    byte transportsInUse()
    {
        byte set = 0;
        for (final ServerLink link : servers.values())
        {
            if (null != link.reader)
            {
                set = link.reader.kind().addTo(set);
            }
        }
        return set;
    }

    public void close()
    {
        for (final ServerLink link : servers.values())
        {
            CloseHelper.quietClose(link.reader);
        }
        servers.clear();
        CloseHelper.closeAll(transports);
    }

    private void connect(final ServerLink link)
    {
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
                    link.reader = transport.connect(server, localMemory);
                    logger.accept(owner + ": reads " + server + " over " + transport.kind().label() +
                        (reasons.length() > 0 ? " (" + reasons + ")" : ""));
                    return;
                }
                catch (final RuntimeException ex)
                {
                    reasons.append(reasons.length() > 0 ? "; " : "").append(transport.kind().label()).append(": ")
                        .append(ex.getMessage());
                }
            }
            else
            {
                reasons.append(reasons.length() > 0 ? "; " : "").append(transport.kind().label()).append(": ")
                    .append(reason);
            }
        }
        link.unreachable = true;
        logger.accept(owner + ": cannot reach " + server + ": " +
            (reasons.length() > 0 ? reasons : "transport " + forced + " is not available"));
    }

    private static final class ServerLink
    {
        final ServerAdvertisement advertisement;
        DataReader reader;
        boolean unreachable;

        ServerLink(final ServerAdvertisement advertisement)
        {
            this.advertisement = advertisement;
        }
    }
}
