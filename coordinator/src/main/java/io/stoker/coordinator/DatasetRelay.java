package io.stoker.coordinator;

import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.Role;
import io.stoker.dataset.Manifest;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.ManifestAssembler;
import io.stoker.transport.data.ServerAdvertisement;
import org.agrona.DirectBuffer;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * What data servers say of their datasets: the manifests they send in parts (assembled here, a few at a time, and
 * kept for the coordinator alone: workers learn a job's layout and the descriptors of the chunks they read, not the
 * manifest), and the regions each advertises, passed on to the workers with a copy of each kept for workers that
 * join later. It knows whether the live servers of a dataset advertise every shard.
 */
final class DatasetRelay implements JobScheduler.Datasets
{
    private static final int MANIFESTS_IN_PROGRESS = 8;

    private final ManifestAssembler manifests = new ManifestAssembler(MANIFESTS_IN_PROGRESS);
    private final List<Server> servers = new ArrayList<>();
    private final UnsafeBuffer relayBuffer = new UnsafeBuffer(new byte[0]);
    private final MemberSessions sessions;
    private final ControlPublisher publisher;

    DatasetRelay(final MemberSessions sessions, final ControlPublisher publisher)
    {
        this.sessions = sessions;
        this.publisher = publisher;
    }

    /**
     * A data server advertised its regions: kept, and passed to the workers.
     */
    void onAdvertisement(
        final Member member,
        final RegionAdvertisementDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        final Server server = server(member);
        server.advertisement.apply(decoder);
        server.messages.add(relay(message, offset, length));
    }

    /**
     * A part of a data server's manifest: assembled.
     *
     * @return the manifest when this part completed it, else null.
     * @throws io.stoker.dataset.DatasetException when the part does not fit the manifest in progress.
     */
    Manifest onManifestPart(final ManifestPartDecoder decoder)
    {
        return manifests.onPart(decoder);
    }

    /**
     * A worker just admitted gets every live data server's advertisements.
     */
    void welcome(final Member worker)
    {
        for (int i = 0, size = servers.size(); i < size; i++)
        {
            for (final byte[] message : servers.get(i).messages)
            {
                forward(worker, message);
            }
        }
    }

    /**
     * A member left: when it is a data server, what it advertised no longer counts and is not relayed again.
     */
    void onRemoved(final Member member)
    {
        for (int i = servers.size() - 1; i >= 0; i--)
        {
            if (servers.get(i).memberId == member.memberId)
            {
                servers.remove(i);
            }
        }
    }

    /**
     * @return a dataset's manifest, once a data server delivered it whole, else null.
     */
    @Override
    public Manifest manifest(final String datasetId)
    {
        return manifests.manifest(datasetId);
    }

    /**
     * @return true when the live data servers of a dataset together advertised every one of its shards: a job
     * that started earlier would send workers to regions no one serves yet.
     */
    @Override
    public boolean allRegionsAdvertised(final String datasetId, final int shardCount)
    {
        final IntHashSet advertised = new IntHashSet();
        for (int i = 0, size = servers.size(); i < size; i++)
        {
            final ServerAdvertisement advertisement = servers.get(i).advertisement;
            if (datasetId.equals(advertisement.datasetId()))
            {
                advertised.addAll(advertisement.regions().keySet());
            }
        }
        for (int shard = 0; shard < shardCount; shard++)
        {
            if (!advertised.contains(shard))
            {
                return false;
            }
        }
        return true;
    }

    private Server server(final Member member)
    {
        for (int i = 0, size = servers.size(); i < size; i++)
        {
            if (servers.get(i).memberId == member.memberId)
            {
                return servers.get(i);
            }
        }
        final Server server = new Server(member.memberId);
        servers.add(server);
        return server;
    }

    private void forward(final Member worker, final byte[] message)
    {
        relayBuffer.wrap(message);
        publisher.forward(worker.outbox, relayBuffer, 0, message.length);
    }

    /**
     * Pass a data server's message to the workers here now.
     *
     * @return a copy of it, to keep for workers that join later.
     */
    private byte[] relay(final DirectBuffer message, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        message.getBytes(offset, copy);
        for (int i = 0, size = sessions.size(); i < size; i++)
        {
            final Member worker = sessions.get(i);
            if (worker.role == Role.WORKER)
            {
                publisher.forward(worker.outbox, message, offset, length);
            }
        }
        return copy;
    }

    /**
     * What one data server advertised, and its advertisements kept for workers that join later.
     */
    private static final class Server
    {
        final int memberId;
        final ServerAdvertisement advertisement;
        final List<byte[]> messages = new ArrayList<>();

        Server(final int memberId)
        {
            this.memberId = memberId;
            this.advertisement = new ServerAdvertisement(memberId);
        }
    }
}
