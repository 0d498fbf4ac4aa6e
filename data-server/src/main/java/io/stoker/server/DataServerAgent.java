package io.stoker.server;

import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobServingDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.WorkerFencedDecoder;
import io.stoker.dataset.Manifest;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.ManifestAssembler;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.data.FencedRegistrations;
import io.stoker.transport.data.RegionServer;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.SessionInitiator;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A data server's duty cycle: register with the coordinator, send it the dataset's manifest, advertise
 * the dataset's shard files as regions (by absolute path for same-host workers, and through each
 * {@link RegionServer} for the network transports), and let the region servers serve.
 */
public final class DataServerAgent implements Agent, ControlListener
{
    private static final int FRAGMENT_LIMIT = 16;

    private final DataServerContext ctx;
    private final ControlPublisher publisher = new ControlPublisher();
    private final MemberSession session;
    private final ControlAdapter adapter;
    private final StatusCounters counters;
    private final Refusals refusals;
    private final AtomicCounter errors;
    private final AtomicCounter workersFenced;
    private final FencedRegistrations fenced = new FencedRegistrations();
    private final ServerAdvertisement.Region[] regions;
    private final List<RegionServer> regionServers = new ArrayList<>();
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
        counters = new StatusCounters(ctx.aeron(), "data server",
            CounterType.BYTES_SERVED, CounterType.READ_REQUESTS_SERVED, CounterType.INVALID_MESSAGES,
            CounterType.SESSIONS_REFUSED, CounterType.SESSIONS_PENDING, CounterType.ERRORS, CounterType.AGENT_ERRORS,
            CounterType.WORKERS_FENCED, CounterType.READS_FENCED);
        errors = counters.get(CounterType.ERRORS);
        workersFenced = counters.get(CounterType.WORKERS_FENCED);
        refusals = new Refusals("data server", counters.get(CounterType.INVALID_MESSAGES), ctx.errorHandler(),
            ctx.nanoClock());
        ctx.counters(counters);
        regions = regionsOf(ctx.manifest());
        byte offered = TransportKind.LOCAL.addTo((byte)0);
        for (final Function<DataServerContext, RegionServer> factory : ctx.regionServers())
        {
            final RegionServer server = factory.apply(ctx);
            regionServers.add(server);
            offered = server.kind().addTo(offered);
            for (int i = 0; i < regions.length; i++)
            {
                regions[i] = server.export(regions[i]);
            }
        }
        transports = offered;
        session = new MemberSession(ctx.aeron(), publisher, ctx.coordinatorChannel(), new HandshakeIdentity(
            Role.DATA_SERVER, -1, transports, ctx.responseStreamId(), ctx.hostId(), ctx.responseChannel()),
            ctx.jobToken(), refusals);
        adapter = new ControlAdapter(
            session.subscription(), session, refusals, ErrorResponseDecoder.TEMPLATE_ID, this);
    }

    @Override
    public String roleName()
    {
        return "stoker-data-server";
    }

    @Override
    public int doWork()
    {
        nowNs = ctx.nanoClock().nanoTime();
        int work = session.doWork(nowNs);
        work += session.poll(adapter, FRAGMENT_LIMIT, nowNs);
        for (int i = 0, size = regionServers.size(); i < size; i++)
        {
            work += regionServers.get(i).doWork();
        }
        if (session.isRegistered() && !advertised)
        {
            advertise();
            work++;
        }
        return work;
    }

    @Override
    public void onClose()
    {
        CloseHelper.closeAll(regionServers);
        CloseHelper.closeAll(adapter, session, counters);
    }

    /**
     * @return the counters this data server keeps.
     */
    public StatusCounters counters()
    {
        return counters;
    }

    /**
     * @return true once the coordinator has this server's regions.
     */
    public boolean isAdvertised()
    {
        return advertised;
    }

    @Override
    public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
    {
        if (session.onRegistered(sessionId, decoder, nowNs))
        {
            advertised = false;
        }
    }

    @Override
    public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
    {
        if (session.onChallenge(sessionId, decoder, nowNs) == SessionInitiator.ChallengeAnswer.NO_TOKEN)
        {
            error("the coordinator asks for a job token: give this data server the job's token file");
        }
    }

    @Override
    public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
    {
        session.onHeartbeat(sessionId, decoder, nowNs);
    }

    @Override
    public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
    {
        if (!session.onLeaseExpired(decoder))
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
        }
    }

    /**
     * A worker's lease ended: every region server revokes what its registration could read with (the rdma
     * transport deregisters its connections' keys, so its next READ fails on the NIC; the udp transport refuses its
     * reads). Counted and logged once per registration: the coordinator tells a data server again of the fences it
     * remembers each time the server registers, in case it restarted and forgot them.
     */
    @Override
    public void onWorkerFenced(final int sessionId, final WorkerFencedDecoder decoder)
    {
        if (!session.isRegistered())
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
            return;
        }
        final long registrationId = decoder.registrationId();
        if (!fenced.add(registrationId))
        {
            return;
        }
        workersFenced.incrementOrdered();
        ctx.logger().accept("data server " + session.memberId() + ": fenced worker rank " + decoder.rank() +
            " (member " + decoder.memberId() + ", registration " + registrationId + "): its lease ended");
        for (int i = 0, size = regionServers.size(); i < size; i++)
        {
            regionServers.get(i).fence(registrationId);
        }
    }

    /**
     * The coordinator says a job started with a weight, or ended (0): the region servers that send the bytes
     * schedule the jobs' reads by it. A weight out of range is refused (the validator held the name to its alphabet).
     */
    @Override
    public void onJobServing(final int sessionId, final JobServingDecoder decoder)
    {
        final int weight = decoder.weight();
        final String jobName = decoder.jobName();
        if (!session.isRegistered())
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
        }
        else if (weight < 0 || weight > MessageLimits.MAX_JOB_WEIGHT)
        {
            refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), "job " +
                Quote.of(jobName) + " of weight " + weight + ": a weight is 0 to " + MessageLimits.MAX_JOB_WEIGHT);
        }
        else
        {
            ctx.logger().accept("data server " + session.memberId() + ": job " +
                (jobName.isEmpty() ? "(default)" : jobName) +
                (0 == weight ? " ended: forgetting it" : " served at weight " + weight));
            for (int i = 0, size = regionServers.size(); i < size; i++)
            {
                regionServers.get(i).serveJob(jobName, weight);
            }
        }
    }

    @Override
    public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        final ErrorCode code = decoder.code();
        final String message = decoder.message();
        switch (session.onErrorResponse(sessionId, decoder))
        {
            case HANDSHAKE -> error("coordinator refused registration: " + code + ": " + Quote.of(message));
            case COORDINATOR -> refusals.report("the coordinator reported " + code + ": " + Quote.of(message));
            case RESTARTED -> ctx.logger().accept("data server: the coordinator restarted: registering again");
            default ->
            {
            }
        }
    }

    @Override
    public void onUnexpected(final int sessionId, final int templateId)
    {
        refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "not a message a data server takes");
    }

    private void advertise()
    {
        ManifestAssembler.send(publisher, session.outbox(), ctx.manifest());
        final ServerAdvertisement self = new ServerAdvertisement(session.memberId(), ctx.manifest().datasetId(),
            ctx.hostId(), transports, endpointOf(TransportKind.UDP), endpointOf(TransportKind.RDMA));
        for (int from = 0; from < regions.length; from += MessageLimits.MAX_REGIONS_PER_MESSAGE)
        {
            final int count = Math.min(MessageLimits.MAX_REGIONS_PER_MESSAGE, regions.length - from);
            publisher.regionAdvertisement(session.outbox(), self, regions, from, count);
        }
        advertised = true;
        ctx.logger().accept("data server " + session.memberId() + ": advertised dataset " + ctx.manifest().datasetId() +
            " (" + regions.length + " regions of " + ctx.datasetDirectory() + ")");
    }

    private String endpointOf(final TransportKind kind)
    {
        for (final RegionServer server : regionServers)
        {
            if (server.kind() == kind)
            {
                return server.endpoint();
            }
        }
        return "";
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
