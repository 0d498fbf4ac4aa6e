package io.stoker.coordinator;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.stoker.codecs.ChunkAckDecoder;
import io.stoker.codecs.ChunkUnavailableDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobSubmitDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisterDecoder;
import io.stoker.codecs.Role;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.Manifest;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.Outbox;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The coordinator's duty cycle: membership with leases, the job, its epoch plans, and progress
 * counted from acknowledgements.
 * <p>
 * Everything arrives as control messages on one subscription and leaves through one {@link Outbox}
 * per member, so nothing here blocks: a member's publication is created asynchronously and its
 * messages wait in its outbox until it is connected.
 */
public final class CoordinatorAgent implements Agent, ControlListener
{
    private static final int FRAGMENT_LIMIT = 32;

    private final CoordinatorContext ctx;
    private final Aeron aeron;
    private final ControlPublisher publisher = new ControlPublisher();
    private final ControlAdapter adapter;
    private final StatusCounters counters;
    private final AtomicCounter acknowledged;
    private final AtomicCounter unavailable;
    private final AtomicCounter reassigned;
    private final AtomicCounter leaseExpiries;
    private final AtomicCounter epochsCompleted;
    private final AtomicCounter membersCounter;
    private final AtomicCounter errors;
    private final Int2ObjectHashMap<Member> membersById = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<Member> membersBySession = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<Member> workersByRank = new Int2ObjectHashMap<>();
    private final List<Member> expired = new ArrayList<>();
    private final List<Refusal> refusals = new ArrayList<>();
    private final UnsafeBuffer relayBuffer = new UnsafeBuffer(new byte[0]);
    private int nextMemberId = 1;
    private long nextJobId = 1;
    private Job job;
    private long nowNs;

    /**
     * Subscribe to the control channel and allocate counters: call at start-up.
     *
     * @param ctx configuration; its Aeron client must be connected.
     */
    public CoordinatorAgent(final CoordinatorContext ctx)
    {
        this.ctx = ctx.conclude();
        this.aeron = ctx.aeron();
        counters = new StatusCounters(aeron, "coordinator",
            CounterType.CHUNKS_ACKNOWLEDGED, CounterType.CHUNKS_UNAVAILABLE, CounterType.CHUNKS_REASSIGNED,
            CounterType.LEASE_EXPIRIES, CounterType.EPOCHS_COMPLETED, CounterType.MEMBERS,
            CounterType.INVALID_MESSAGES, CounterType.REGISTRATIONS_REFUSED, CounterType.ERRORS);
        acknowledged = counters.get(CounterType.CHUNKS_ACKNOWLEDGED);
        unavailable = counters.get(CounterType.CHUNKS_UNAVAILABLE);
        reassigned = counters.get(CounterType.CHUNKS_REASSIGNED);
        leaseExpiries = counters.get(CounterType.LEASE_EXPIRIES);
        epochsCompleted = counters.get(CounterType.EPOCHS_COMPLETED);
        membersCounter = counters.get(CounterType.MEMBERS);
        errors = counters.get(CounterType.ERRORS);
        adapter = new ControlAdapter(
            aeron.addSubscription(ctx.controlChannel(), ControlProtocol.COORDINATOR_STREAM_ID),
            this,
            counters.get(CounterType.INVALID_MESSAGES));
    }

    public String roleName()
    {
        return "stoker-coordinator";
    }

    public int doWork()
    {
        nowNs = ctx.nanoClock().nanoTime();
        int work = adapter.poll(FRAGMENT_LIMIT);
        work += serviceMembers();
        if (!refusals.isEmpty())
        {
            work += serviceRefusals();
        }
        if (null != job && !job.started)
        {
            work += tryStartJob();
        }
        return work;
    }

    public void onClose()
    {
        membersById.values().forEach(CloseHelper::quietClose);
        CloseHelper.closeAll(adapter, counters);
    }

    /**
     * @return the counters this coordinator keeps.
     */
    public StatusCounters counters()
    {
        return counters;
    }

    public void onRegister(final int sessionId, final RegisterDecoder decoder)
    {
        final long correlationId = decoder.correlationId();
        final Role role = decoder.role();
        final int rank = decoder.rank();
        final int responseStreamId = decoder.responseStreamId();
        final String hostId = decoder.hostId();
        final String responseChannel = decoder.responseChannel();

        final Member previous = membersBySession.get(sessionId);
        if (null != previous && previous.registerCorrelationId == correlationId)
        {
            return;
        }
        if (null != previous)
        {
            remove(previous);
        }
        if (role == Role.NULL_VAL)
        {
            refuse(sessionId, correlationId, responseChannel, responseStreamId, "unknown role");
            return;
        }
        if (role == Role.WORKER)
        {
            if (rank < 0)
            {
                refuse(sessionId, correlationId, responseChannel, responseStreamId, "worker rank must be >= 0");
                return;
            }
            final Member holder = workersByRank.get(rank);
            if (null != holder)
            {
                refuse(sessionId, correlationId, responseChannel, responseStreamId,
                    "rank " + rank + " is held by a live worker (member " + holder.memberId + ")");
                return;
            }
        }

        final long registrationId = aeron.asyncAddPublication(responseChannel, responseStreamId);
        final Member member = new Member(nextMemberId++, role, rank, hostId, sessionId, correlationId,
            registrationId, nowNs + ctx.leaseTimeoutNs());
        membersById.put(member.memberId, member);
        membersBySession.put(sessionId, member);
        if (role == Role.WORKER)
        {
            workersByRank.put(rank, member);
        }
        membersCounter.setOrdered(membersById.size());
    }

    public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
    {
        final Member member = sender(sessionId, decoder.memberId(), decoder.sbeTemplateId());
        if (null != member)
        {
            member.leaseDeadlineNs = nowNs + ctx.leaseTimeoutNs();
        }
    }

    public void onRegionAdvertisement(
        final int sessionId,
        final RegionAdvertisementDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        final Member member = sender(sessionId, decoder.serverId(), decoder.sbeTemplateId());
        if (null == member)
        {
            return;
        }
        if (member.role != Role.DATA_SERVER)
        {
            reply(member, 0, ErrorCode.UNKNOWN_TEMPLATE, decoder.sbeTemplateId(),
                member.describe() + " is not a data server and cannot advertise regions");
            return;
        }
        member.advertisement.apply(decoder);
        member.keepAdvertisement(message, offset, length);
        for (final Member worker : workersByRank.values())
        {
            if (worker.active)
            {
                publisher.forward(worker.outbox, message, offset, length);
            }
        }
    }

    public void onJobSubmit(final int sessionId, final JobSubmitDecoder decoder)
    {
        final Member member = membersBySession.get(sessionId);
        final long correlationId = decoder.correlationId();
        final int worldSize = decoder.worldSize();
        final int epochs = decoder.epochs();
        final long seed = decoder.seed();
        final String manifestPath = decoder.manifestPath();
        if (null == member || !member.active)
        {
            onInvalid(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(), "job submitted before registering");
            return;
        }
        if (null != job && !job.isFinished())
        {
            reply(member, correlationId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(),
                "job " + job.jobId + " is still running");
            return;
        }
        if (worldSize < 1 || epochs < 1)
        {
            reply(member, correlationId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(),
                "world size and epochs must be at least 1, were " + worldSize + " and " + epochs);
            return;
        }

        final Manifest manifest;
        try
        {
            manifest = Manifest.read(Path.of(manifestPath));
        }
        catch (final DatasetException | java.io.UncheckedIOException ex)
        {
            reply(member, correlationId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(), ex.getMessage());
            return;
        }
        if (manifest.chunkCount() < 1)
        {
            reply(member, correlationId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(),
                manifestPath + ": the dataset has no chunks");
            return;
        }

        job = new Job(nextJobId++, correlationId, member.memberId, worldSize, epochs, seed, manifestPath, manifest);
        sendJobStarted(member);
    }

    public void onChunkAck(final int sessionId, final ChunkAckDecoder decoder)
    {
        final Member member = sender(sessionId, decoder.memberId(), decoder.sbeTemplateId());
        if (null == member)
        {
            return;
        }
        final long jobId = decoder.jobId();
        final int epoch = decoder.epoch();
        final EpochProgress progress = null != job && job.jobId == jobId ? job.openEpochs.get(epoch) : null;
        for (final ChunkAckDecoder.ChunksDecoder chunk : decoder.chunks())
        {
            final int chunkId = chunk.chunkId();
            final int crc = chunk.crc();
            if (null == progress)
            {
                continue;
            }
            if (chunkId < 0 || chunkId >= job.chunkCrcs.length)
            {
                reply(member, 0, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(),
                    "chunk " + chunkId + " is not in the dataset of job " + jobId);
            }
            else if (crc != job.chunkCrcs[chunkId])
            {
                error(member.describe() + " acknowledged chunk " + chunkId + " of epoch " + epoch + " with CRC " +
                    Integer.toHexString(crc) + ", the manifest says " + Integer.toHexString(job.chunkCrcs[chunkId]));
            }
            else if (progress.acknowledge(chunkId))
            {
                acknowledged.incrementOrdered();
            }
        }
        if (null != progress && progress.isComplete())
        {
            completeEpoch(progress);
        }
    }

    public void onChunkUnavailable(final int sessionId, final ChunkUnavailableDecoder decoder)
    {
        final Member member = sender(sessionId, decoder.memberId(), decoder.sbeTemplateId());
        final long jobId = decoder.jobId();
        final int epoch = decoder.epoch();
        final int chunkId = decoder.chunkId();
        final String reason = decoder.reason();
        if (null == member || null == job || job.jobId != jobId)
        {
            return;
        }
        final EpochProgress progress = job.openEpochs.get(epoch);
        if (null != progress && chunkId >= 0 && chunkId < job.chunkCrcs.length && progress.markUnavailable(chunkId))
        {
            unavailable.incrementOrdered();
            error(member.describe() + ": chunk " + chunkId + " of epoch " + epoch + " unavailable: " + reason);
            if (progress.isComplete())
            {
                completeEpoch(progress);
            }
        }
    }

    public void onInvalid(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
        final Member member = membersBySession.get(sessionId);
        error("refused a message from " + (null != member ? member.describe() : "unknown session " + sessionId) +
            ": " + reason);
        if (null != member && member.hasPublication())
        {
            publisher.errorResponse(member.outbox, 0, code, Math.max(templateId, 0), reason);
        }
    }

    private int serviceMembers()
    {
        int work = 0;
        for (final Member member : membersById.values())
        {
            if (!member.hasPublication())
            {
                final Publication publication = aeron.getPublication(member.publicationRegistrationId);
                if (null != publication)
                {
                    member.outbox = new Outbox(publication);
                    work++;
                }
            }
            else if (!member.active && member.outbox.publication().isConnected())
            {
                activate(member);
                work++;
            }
            if (member.hasPublication())
            {
                work += member.outbox.drain();
            }
            if (nowNs - member.leaseDeadlineNs > 0)
            {
                expired.add(member);
            }
        }

        if (!expired.isEmpty())
        {
            for (final Member member : expired)
            {
                expire(member);
            }
            work += expired.size();
            expired.clear();
        }
        return work;
    }

    private void activate(final Member member)
    {
        member.active = true;
        member.leaseDeadlineNs = nowNs + ctx.leaseTimeoutNs();
        publisher.registered(
            member.outbox, member.registerCorrelationId, member.memberId, ctx.leaseTimeoutNs(),
            ctx.heartbeatIntervalNs());
        if (member.role != Role.WORKER)
        {
            return;
        }

        for (final Member server : membersById.values())
        {
            if (server.role == Role.DATA_SERVER)
            {
                for (final byte[] message : server.advertisementMessages)
                {
                    relayBuffer.wrap(message);
                    publisher.forward(member.outbox, relayBuffer, 0, message.length);
                }
            }
        }
        if (null != job && job.started && !job.isFinished())
        {
            sendJobStarted(member);
            for (final EpochProgress progress : job.openEpochs.values())
            {
                final int[] chunks = progress.outstanding(member.rank);
                sendAssignment(member, progress.epoch(), -1, chunks, chunks.length);
            }
        }
    }

    private void expire(final Member member)
    {
        leaseExpiries.incrementOrdered();
        error("lease of " + member.describe() + " expired");
        if (member.hasPublication())
        {
            publisher.leaseExpired(member.outbox, member.memberId);
            member.outbox.drain();
        }
        remove(member);

        for (final Member other : membersById.values())
        {
            if (other.role == Role.WORKER && other.active)
            {
                publisher.leaseExpired(other.outbox, member.memberId);
            }
        }
        if (member.role == Role.WORKER && null != job && job.started)
        {
            for (final EpochProgress progress : job.openEpochs.values())
            {
                reassign(progress, member.rank);
            }
        }
    }

    private void remove(final Member member)
    {
        membersById.remove(member.memberId);
        membersBySession.remove(member.sessionId);
        if (member.role == Role.WORKER && workersByRank.get(member.rank) == member)
        {
            workersByRank.remove(member.rank);
        }
        member.close();
        membersCounter.setOrdered(membersById.size());
    }

    /**
     * Hand the chunks a dead rank still holds to the live ranks, in contiguous runs of plan order
     * so that each survivor's share stays about equal.
     */
    private void reassign(final EpochProgress progress, final int deadRank)
    {
        final int[] chunks = progress.outstanding(deadRank);
        if (chunks.length == 0 || workersByRank.isEmpty())
        {
            return;
        }

        final int[] liveRanks = workersByRank.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        int from = 0;
        for (int i = 0; i < liveRanks.length; i++)
        {
            final int to = (int)((long)chunks.length * (i + 1) / liveRanks.length);
            final Member worker = workersByRank.get(liveRanks[i]);
            final int[] share = java.util.Arrays.copyOfRange(chunks, from, to);
            for (final int chunkId : share)
            {
                progress.reassign(chunkId, worker.rank);
            }
            reassigned.getAndAddOrdered(share.length);
            if (worker.active)
            {
                sendAssignment(worker, progress.epoch(), -1, share, share.length);
            }
            from = to;
        }
    }

    private int tryStartJob()
    {
        for (int rank = 0; rank < job.worldSize; rank++)
        {
            final Member worker = workersByRank.get(rank);
            if (null == worker || !worker.active)
            {
                return 0;
            }
        }
        if (!hasActiveServer())
        {
            return 0;
        }

        job.started = true;
        for (final Member worker : workersByRank.values())
        {
            sendJobStarted(worker);
        }
        final int lastEpoch = Math.min(job.epochs, 1 + ctx.epochLookahead());
        while (job.nextEpochToPlan < lastEpoch)
        {
            planNextEpoch();
        }
        return 1;
    }

    private boolean hasActiveServer()
    {
        for (final Member member : membersById.values())
        {
            if (member.role == Role.DATA_SERVER && member.active && !member.advertisementMessages.isEmpty())
            {
                return true;
            }
        }
        return false;
    }

    private void planNextEpoch()
    {
        final int epoch = job.nextEpochToPlan++;
        final EpochPlan plan = EpochPlanner.plan(job.chunkLengths, job.worldSize, job.seed, epoch);
        final EpochProgress progress = new EpochProgress(plan);
        job.openEpochs.put(epoch, progress);
        for (int rank = 0; rank < job.worldSize; rank++)
        {
            final Member worker = workersByRank.get(rank);
            if (null != worker && worker.active)
            {
                sendAssignment(worker, epoch, 0, plan.slice(rank), plan.sliceLength(rank));
            }
            else
            {
                reassign(progress, rank);
            }
        }
    }

    private void completeEpoch(final EpochProgress progress)
    {
        final int epoch = progress.epoch();
        job.openEpochs.remove(epoch);
        job.epochsCompleted++;
        job.chunksUnavailable += progress.unavailableCount();
        epochsCompleted.incrementOrdered();
        final int[] missing = progress.unavailableChunks();
        for (final Member member : membersById.values())
        {
            if (member.active && (member.role == Role.WORKER || member.memberId == job.clientMemberId))
            {
                publisher.epochComplete(
                    member.outbox, job.jobId, epoch, progress.acknowledgedCount(), missing, missing.length);
            }
        }

        if (job.nextEpochToPlan < job.epochs)
        {
            planNextEpoch();
        }
        else if (job.isFinished())
        {
            final JobOutcome outcome = job.chunksUnavailable == 0 ? JobOutcome.COMPLETE : JobOutcome.INCOMPLETE;
            for (final Member member : membersById.values())
            {
                if (member.active && (member.role == Role.WORKER || member.memberId == job.clientMemberId))
                {
                    publisher.jobComplete(member.outbox, job.jobId, outcome, job.epochsCompleted);
                }
            }
        }
    }

    private void sendJobStarted(final Member member)
    {
        publisher.jobStarted(member.outbox, job.correlationId, job.jobId, job.worldSize, job.epochs, job.seed,
            job.chunkLengths.length, job.manifest.totalBytes(), job.manifestPath);
    }

    /**
     * Send chunk ids in batches. A positive {@code firstPosition} numbers the rank's planned slice; a
     * reassignment or resend carries -1: those chunks extend the slice rather than start it.
     */
    private void sendAssignment(
        final Member worker, final int epoch, final int firstPosition, final int[] chunks, final int count)
    {
        for (int from = 0; from < count; from += ControlProtocol.MAX_CHUNKS_PER_MESSAGE)
        {
            final int batch = Math.min(ControlProtocol.MAX_CHUNKS_PER_MESSAGE, count - from);
            final int position = firstPosition < 0 ? -1 : firstPosition + from;
            if (!publisher.assignment(worker.outbox, job.jobId, epoch, worker.rank, position, chunks, from, batch))
            {
                error("outbox of " + worker.describe() + " is full: assignment of epoch " + epoch + " not sent");
            }
        }
    }

    private Member sender(final int sessionId, final int memberId, final int templateId)
    {
        final Member member = membersBySession.get(sessionId);
        if (null == member || member.memberId != memberId)
        {
            onInvalid(sessionId, ErrorCode.NOT_REGISTERED, templateId,
                "member " + memberId + " is not registered on this session");
            return null;
        }
        return member;
    }

    /**
     * Answer a registration with an error once a publication to the refused peer is connected; the
     * peer gets no member id and nothing of the dataset.
     */
    private void refuse(
        final int sessionId,
        final long correlationId,
        final String responseChannel,
        final int responseStreamId,
        final String reason)
    {
        counters.get(CounterType.REGISTRATIONS_REFUSED).incrementOrdered();
        error("refused registration from session " + sessionId + ": " + reason);
        refusals.add(new Refusal(
            aeron.asyncAddExclusivePublication(responseChannel, responseStreamId), correlationId, reason,
            nowNs + ctx.leaseTimeoutNs()));
    }

    private int serviceRefusals()
    {
        int work = 0;
        for (int i = refusals.size() - 1; i >= 0; i--)
        {
            final Refusal refusal = refusals.get(i);
            if (null == refusal.outbox)
            {
                final Publication publication = aeron.getExclusivePublication(refusal.registrationId);
                if (null != publication)
                {
                    refusal.outbox = new Outbox(publication);
                }
            }
            else if (refusal.outbox.publication().isConnected() && !refusal.sent)
            {
                publisher.errorResponse(refusal.outbox, refusal.correlationId, ErrorCode.REGISTRATION_REFUSED,
                    RegisterDecoder.TEMPLATE_ID, refusal.reason);
                refusal.sent = true;
                work++;
            }

            if (null != refusal.outbox)
            {
                refusal.outbox.drain();
            }
            if ((refusal.sent && !refusal.outbox.hasPending()) || nowNs - refusal.deadlineNs > 0)
            {
                CloseHelper.quietClose(refusal.outbox);
                refusals.remove(i);
            }
        }
        return work;
    }

    private static final class Refusal
    {
        final long registrationId;
        final long correlationId;
        final String reason;
        final long deadlineNs;
        Outbox outbox;
        boolean sent;

        Refusal(final long registrationId, final long correlationId, final String reason, final long deadlineNs)
        {
            this.registrationId = registrationId;
            this.correlationId = correlationId;
            this.reason = reason;
            this.deadlineNs = deadlineNs;
        }
    }

    private void reply(
        final Member member, final long correlationId, final ErrorCode code, final int templateId, final String reason)
    {
        error("refused a message from " + member.describe() + ": " + reason);
        if (member.hasPublication())
        {
            publisher.errorResponse(member.outbox, correlationId, code, templateId, reason);
        }
    }

    private void error(final String message)
    {
        errors.incrementOrdered();
        ctx.errorHandler().onError(new ControlProtocolException(message));
    }
}
