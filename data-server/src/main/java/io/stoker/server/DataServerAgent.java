package io.stoker.server;

import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.dataset.Manifest;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A data server's duty cycle: register with the coordinator and advertise the dataset's shard files
 * as regions, by absolute path for same-host workers.
 */
public final class DataServerAgent implements Agent, ControlListener
{
    private static final int FRAGMENT_LIMIT = 16;

    private final DataServerContext ctx;
    private final ControlPublisher publisher = new ControlPublisher();
    private final MemberSession session;
    private final ControlAdapter adapter;
    private final StatusCounters counters;
    private final AtomicCounter errors;
    private final ServerAdvertisement.Region[] regions;
    private final byte transports;
    private boolean advertised;
    private long nowNs;

    /**
     * Connect to the coordinator and allocate counters: call at start-up.
     *
     * @param ctx configuration.
     */
    public DataServerAgent(final DataServerContext ctx)
    {
        this.ctx = ctx.conclude();
        transports = TransportKind.LOCAL.addTo((byte)0);
        regions = regionsOf(ctx.manifest());
        counters = new StatusCounters(ctx.aeron(), "data server",
            CounterType.BYTES_SERVED, CounterType.READ_REQUESTS_SERVED, CounterType.INVALID_MESSAGES,
            CounterType.ERRORS);
        errors = counters.get(CounterType.ERRORS);
        session = new MemberSession(ctx.aeron(), publisher, ctx.coordinatorChannel(), ctx.responseChannel(),
            ctx.responseStreamId(), Role.DATA_SERVER, -1, transports, ctx.hostId());
        adapter = new ControlAdapter(session.subscription(), this, counters.get(CounterType.INVALID_MESSAGES));
    }

    public String roleName()
    {
        return "stoker-data-server";
    }

    public int doWork()
    {
        nowNs = ctx.nanoClock().nanoTime();
        int work = session.doWork(nowNs);
        work += adapter.poll(FRAGMENT_LIMIT);
        if (session.isRegistered() && !advertised)
        {
            advertise();
            work++;
        }
        return work;
    }

    public void onClose()
    {
        CloseHelper.closeAll(adapter, session, counters);
    }

    /**
     * @return true once the coordinator has this server's regions.
     */
    public boolean isAdvertised()
    {
        return advertised;
    }

    public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
    {
        if (session.onRegistered(decoder, nowNs))
        {
            advertised = false;
        }
    }

    public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
    {
        session.onLeaseExpired(decoder);
    }

    public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        final boolean refused = session.onErrorResponse(decoder);
        final ErrorCode code = decoder.code();
        error("coordinator " + (refused ? "refused registration" : "reported") + ": " + code + ": " +
            decoder.message());
    }

    public void onInvalid(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
        error("dropped an invalid message from the coordinator: " + reason);
    }

    private void advertise()
    {
        final ServerAdvertisement self = new ServerAdvertisement(session.memberId(), ctx.hostId(), transports, "", "");
        for (int from = 0; from < regions.length; from += ControlProtocol.MAX_REGIONS_PER_MESSAGE)
        {
            final int count = Math.min(ControlProtocol.MAX_REGIONS_PER_MESSAGE, regions.length - from);
            publisher.regionAdvertisement(session.outbox(), self, regions, from, count);
        }
        advertised = true;
        ctx.logger().accept("data server " + session.memberId() + ": advertised " + regions.length + " regions of " +
            ctx.datasetDirectory());
    }

    private ServerAdvertisement.Region[] regionsOf(final Manifest manifest)
    {
        final ServerAdvertisement.Region[] result = new ServerAdvertisement.Region[manifest.shardCount()];
        for (int shard = 0; shard < result.length; shard++)
        {
            final String path = ctx.datasetDirectory().resolve(manifest.shardPath(shard)).toAbsolutePath().toString();
            result[shard] = new ServerAdvertisement.Region(shard, manifest.shardLength(shard), path, 0, 0);
        }
        return result;
    }

    private void error(final String message)
    {
        errors.incrementOrdered();
        ctx.errorHandler().onError(new IllegalStateException("data server: " + message));
    }
}
