package io.stoker.coordinator;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.stoker.codecs.ChunkAckDecoder;
import io.stoker.codecs.ChunkUnavailableDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobSubmitDecoder;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisterDecoder;
import io.stoker.codecs.Role;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.Manifest;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.JobToken;
import io.stoker.transport.control.ManifestAssembler;
import io.stoker.transport.control.Outbox;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * The coordinator's duty cycle: membership with leases (both ways: members heartbeat, and so does the
 * coordinator, so members notice a restart), the job, its epoch plans, progress counted from
 * acknowledgements, reassignment of a dead worker's chunks, and checkpoints.
 * <p>
 * Everything arrives as control messages on one subscription and leaves through one {@link Outbox}
 * per member, so nothing here waits on a peer: a member's publication is created asynchronously and
 * its messages wait in its outbox until it is connected. Checkpoint writes (every
 * {@link CoordinatorContext#checkpointInterval()} acknowledgements and at each epoch's end) are the
 * one blocking I/O of the cycle.
 */
public final class CoordinatorAgent implements Agent, ControlListener
{
    private static final int FRAGMENT_LIMIT = 32;

    private final CoordinatorContext ctx;
    private final Aeron aeron;
    private final JobToken token;
    private final CheckpointStore checkpoints;
    private final AckLog ackLog;
    private final ControlPublisher publisher = new ControlPublisher();
    private final ControlAdapter adapter;
    private final StatusCounters counters;
    private final AtomicCounter acknowledged;
    private final AtomicCounter unavailable;
    private final AtomicCounter reassigned;
    private final AtomicCounter leaseExpiries;
    private final AtomicCounter epochsCompleted;
    private final AtomicCounter membersCounter;
    private final AtomicCounter refused;
    private final AtomicCounter errors;
    private final List<Member> members = new ArrayList<>();
    private final Int2ObjectHashMap<Member> membersBySession = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<Member> workersByRank = new Int2ObjectHashMap<>();
    private final List<Member> expired = new ArrayList<>();
    private final List<Refusal> refusals = new ArrayList<>();
    private final UnsafeBuffer relayBuffer = new UnsafeBuffer(new byte[0]);
    private final ManifestAssembler manifests = new ManifestAssembler();
    private int nextMemberId = 1;
    private long nextJobId = 1;
    private int acknowledgementsSinceCheckpoint;
    private Job job;
    private long nowNs;

    /**
     * Subscribe to the control channel, allocate counters and restore a checkpointed job: call at start-up.
     *
     * @param ctx configuration; its Aeron client must be connected.
     * @throws UncheckedIOException naming the file when a checkpoint exists but cannot be read.
     */
    public CoordinatorAgent(final CoordinatorContext ctx)
    {
        this.ctx = ctx.conclude();
        this.aeron = ctx.aeron();
        this.token = ctx.jobToken();
        this.checkpoints = null != ctx.checkpointDirectory() ? new CheckpointStore(ctx.checkpointDirectory()) : null;
        this.ackLog = null != ctx.ackLogFile() ? new AckLog(ctx.ackLogFile()) : null;
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
        refused = counters.get(CounterType.REGISTRATIONS_REFUSED);
        errors = counters.get(CounterType.ERRORS);
        adapter = new ControlAdapter(
            aeron.addSubscription(ctx.controlChannel(), ControlProtocol.COORDINATOR_STREAM_ID),
            this,
            counters.get(CounterType.INVALID_MESSAGES));
        if (null != checkpoints)
        {
            restore(checkpoints.read());
        }
    }

    public String roleName()
    {
        return "stoker-coordinator";
    }

    public int doWork()
    {
        nowNs = ctx.nanoClock().nanoTime();
        final int fragments = adapter.poll(FRAGMENT_LIMIT);
        int work = fragments + serviceMembers(fragments < FRAGMENT_LIMIT);
        if (!refusals.isEmpty())
        {
            work += serviceRefusals();
        }
        if (null != job && !job.started)
        {
            work += tryStartJob();
        }
        if (acknowledgementsSinceCheckpoint >= ctx.checkpointInterval())
        {
            checkpoint();
        }
        if (null != ackLog)
        {
            ackLog.flush();
        }
        return work;
    }

    public void onClose()
    {
        members.forEach(CloseHelper::quietClose);
        refusals.forEach(refusal -> CloseHelper.quietClose(refusal.outbox));
        CloseHelper.closeAll(ackLog, adapter, counters);
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
        final byte[] proof = new byte[decoder.proofLength()];
        decoder.getProof(proof, 0, proof.length);

        final Member previous = membersBySession.get(sessionId);
        if (null != previous && previous.registerCorrelationId == correlationId)
        {
            if (!previous.authenticated && proof.length > 0)
            {
                authenticate(previous, proof);
            }
            return;
        }
        if (null != previous)
        {
            remove(previous);
        }
        if (role == Role.NULL_VAL || (role == Role.WORKER && rank < 0))
        {
            refuse(sessionId, correlationId, responseChannel, responseStreamId, ErrorCode.REGISTRATION_REFUSED,
                role == Role.NULL_VAL ? "unknown role" : "worker rank must be >= 0, was " + rank);
            return;
        }

        final long registrationId;
        try
        {
            registrationId = aeron.asyncAddExclusivePublication(responseChannel, responseStreamId);
        }
        catch (final RuntimeException ex)
        {
            refused.incrementOrdered();
            error("refused registration from session " + sessionId + ": bad response channel '" + responseChannel +
                "': " + ex.getMessage());
            return;
        }
        final Member member = new Member(nextMemberId++, role, rank, hostId, sessionId, correlationId, responseChannel,
            responseStreamId, registrationId, nowNs + ctx.leaseTimeoutNs());
        member.authenticated = null == token;
        members.add(member);
        membersBySession.put(sessionId, member);
        membersCounter.setOrdered(members.size());
    }

    /**
     * Renews the sender's lease, as every message from a registered member does.
     */
    public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
    {
        sender(sessionId, decoder.memberId(), decoder.sbeTemplateId());
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
        relay(member, message, offset, length);
    }

    public void onManifestPart(
        final int sessionId,
        final ManifestPartDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        final Member member = membersBySession.get(sessionId);
        if (null == member || !member.active || member.role != Role.DATA_SERVER)
        {
            onInvalid(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(),
                "a manifest part from a peer that is not a registered data server");
            return;
        }
        try
        {
            final Manifest manifest = manifests.onPart(decoder);
            if (null != manifest)
            {
                ctx.logger().accept("coordinator: " + member.describe() + " serves dataset " + manifest.datasetId() +
                    " (" + manifest.chunkCount() + " chunks)");
            }
        }
        catch (final DatasetException ex)
        {
            reply(member, 0, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), ex.getMessage());
            return;
        }
        relay(member, message, offset, length);
    }

    /**
     * Keep a data server's message for workers that join later and pass it to the workers here now.
     */
    private void relay(final Member server, final DirectBuffer message, final int offset, final int length)
    {
        server.keepRelay(message, offset, length);
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member worker = members.get(i);
            if (worker.active && worker.role == Role.WORKER)
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
        final String datasetId = decoder.datasetId();
        if (null == member || !member.active)
        {
            onInvalid(sessionId, ErrorCode.NOT_REGISTERED, decoder.sbeTemplateId(), "job submitted before registering");
            return;
        }
        if (null != job && !job.isFinished())
        {
            if (job.worldSize == worldSize && job.epochs == epochs && job.seed == seed &&
                job.datasetId.equals(datasetId))
            {
                job.clientMemberId = member.memberId;
                job.correlationId = correlationId;
                if (null != job.manifest)
                {
                    sendJobStarted(member);
                    for (final Job.EpochResult result : job.results)
                    {
                        publisher.epochComplete(member.outbox, job.jobId, result.epoch(), result.acknowledged(),
                            result.missing(), result.missing().length);
                    }
                }
                return;
            }
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

        job = new Job(nextJobId++, worldSize, epochs, seed, datasetId);
        job.clientMemberId = member.memberId;
        job.correlationId = correlationId;
        if (null == manifests.manifest(datasetId))
        {
            ctx.logger().accept("coordinator: job " + job.jobId + " waits for a data server of dataset " + datasetId);
        }
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
                acknowledgementsSinceCheckpoint++;
                if (null != ackLog)
                {
                    ackLog.append(epoch, chunkId, member.rank);
                }
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

    private void authenticate(final Member member, final byte[] proof)
    {
        if (null != member.nonce && token.verify(member.nonce, proof))
        {
            member.authenticated = true;
            return;
        }
        remove(member);
        refuse(member.sessionId, member.registerCorrelationId, member.responseChannel, member.responseStreamId,
            ErrorCode.AUTHENTICATION_FAILED, "wrong job token from " + member.describe() + " on " + member.hostId);
    }

    /**
     * @param checkLeases false while messages are backed up: a member's heartbeat may be among them.
     */
    private int serviceMembers(final boolean checkLeases)
    {
        int work = 0;
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member member = members.get(i);
            if (!member.hasPublication())
            {
                final Publication publication;
                try
                {
                    publication = aeron.getExclusivePublication(member.publicationRegistrationId);
                }
                catch (final RuntimeException ex)
                {
                    error("cannot answer " + member.describe() + " at " + member.responseChannel + ": " +
                        ex.getMessage());
                    expired.add(member);
                    continue;
                }
                if (null != publication)
                {
                    member.outbox = new Outbox(publication);
                    work++;
                }
            }
            else if (!member.active && member.outbox.publication().isConnected())
            {
                if (member.authenticated)
                {
                    activate(member);
                    work++;
                }
                else if (null == member.nonce)
                {
                    member.nonce = JobToken.newNonce();
                    publisher.challenge(member.outbox, member.registerCorrelationId, member.nonce);
                    work++;
                }
            }
            if (member.active && nowNs - member.nextHeartbeatNs >= 0)
            {
                publisher.heartbeat(member.outbox, member.memberId, nowNs);
                member.nextHeartbeatNs = nowNs + ctx.heartbeatIntervalNs();
            }
            if (member.hasPublication())
            {
                work += member.outbox.drain();
            }
            if (checkLeases && nowNs - member.leaseDeadlineNs > 0)
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
        if (member.role == Role.WORKER)
        {
            final Member holder = workersByRank.get(member.rank);
            if (null != holder)
            {
                remove(member);
                refuse(member.sessionId, member.registerCorrelationId, member.responseChannel,
                    member.responseStreamId, ErrorCode.REGISTRATION_REFUSED,
                    "rank " + member.rank + " is held by a live worker (member " + holder.memberId + ")");
                return;
            }
            workersByRank.put(member.rank, member);
        }

        member.active = true;
        member.leaseDeadlineNs = nowNs + ctx.leaseTimeoutNs();
        publisher.registered(
            member.outbox, member.registerCorrelationId, member.memberId, ctx.leaseTimeoutNs(),
            ctx.heartbeatIntervalNs());
        if (member.role != Role.WORKER)
        {
            return;
        }

        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member server = members.get(i);
            if (server.role == Role.DATA_SERVER)
            {
                for (final byte[] message : server.relayMessages)
                {
                    relayBuffer.wrap(message);
                    publisher.forward(member.outbox, relayBuffer, 0, message.length);
                }
            }
        }
        if (null != job && job.started && !job.isFinished())
        {
            sendJobStarted(member);
            for (final EpochProgress progress : openEpochsInOrder())
            {
                final int[] chunks = progress.outstanding(member.rank);
                sendAssignment(member, progress.epoch(), -1, chunks, chunks.length);
            }
        }
    }

    private void expire(final Member member)
    {
        remove(member);
        if (!member.active)
        {
            refused.incrementOrdered();
            error("registration of " + member.describe() + " from " + member.hostId + " never completed" +
                (member.authenticated ? "" : ": no answer to the job-token challenge"));
            return;
        }

        leaseExpiries.incrementOrdered();
        error("lease of " + member.describe() + " expired");
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member other = members.get(i);
            if (other.role == Role.WORKER && other.active)
            {
                publisher.leaseExpired(other.outbox, member.memberId);
            }
        }
        if (member.role == Role.WORKER && null != job && job.started)
        {
            for (final EpochProgress progress : openEpochsInOrder())
            {
                reassign(progress, member.rank);
            }
        }
    }

    private void remove(final Member member)
    {
        members.remove(member);
        if (membersBySession.get(member.sessionId) == member)
        {
            membersBySession.remove(member.sessionId);
        }
        if (member.role == Role.WORKER && workersByRank.get(member.rank) == member)
        {
            workersByRank.remove(member.rank);
        }
        member.close();
        membersCounter.setOrdered(members.size());
    }

    /**
     * Hand the chunks a rank holds and has not delivered to the live ranks, in contiguous runs of plan
     * order so that each survivor's share stays about equal. With no live rank they stay with the dead
     * one, which gets them when a worker of that rank registers again.
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
            final int[] share = Arrays.copyOfRange(chunks, from, to);
            for (final int chunkId : share)
            {
                progress.reassign(chunkId, worker.rank);
            }
            reassigned.getAndAddOrdered(share.length);
            sendAssignment(worker, progress.epoch(), -1, share, share.length);
            from = to;
        }
    }

    private int tryStartJob()
    {
        if (null == job.manifest)
        {
            final Manifest manifest = manifests.manifest(job.datasetId);
            if (null == manifest)
            {
                return 0;
            }
            job.bind(manifest);
            final Member client = member(job.clientMemberId);
            if (null != client)
            {
                sendJobStarted(client);
            }
        }
        for (int rank = 0; rank < job.worldSize; rank++)
        {
            final Member worker = workersByRank.get(rank);
            if (null == worker || !worker.active)
            {
                return 0;
            }
        }
        if (!hasAdvertisedServer())
        {
            return 0;
        }

        job.started = true;
        for (final Member worker : workersByRank.values())
        {
            sendJobStarted(worker);
            for (final EpochProgress progress : openEpochsInOrder())
            {
                final int[] chunks = progress.outstanding(worker.rank);
                sendAssignment(worker, progress.epoch(), -1, chunks, chunks.length);
            }
        }
        planAhead();
        checkpoint();
        return 1;
    }

    private boolean hasAdvertisedServer()
    {
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member member = members.get(i);
            if (member.role == Role.DATA_SERVER && member.active &&
                job.datasetId.equals(member.advertisement.datasetId()))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @return the open epochs, oldest first: work is handed out in the order it is to be done.
     */
    private EpochProgress[] openEpochsInOrder()
    {
        final EpochProgress[] open = job.openEpochs.values().toArray(new EpochProgress[0]);
        Arrays.sort(open, (a, b) -> Integer.compare(a.epoch(), b.epoch()));
        return open;
    }

    private Member member(final int memberId)
    {
        for (int i = 0, size = members.size(); i < size; i++)
        {
            if (members.get(i).memberId == memberId)
            {
                return members.get(i);
            }
        }
        return null;
    }

    /**
     * Plan epochs until {@link CoordinatorContext#epochLookahead()} epochs beyond the oldest open one are open.
     */
    private void planAhead()
    {
        final int oldestOpen = job.epochsCompleted;
        while (job.nextEpochToPlan < job.epochs && job.nextEpochToPlan <= oldestOpen + ctx.epochLookahead())
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
    }

    private void completeEpoch(final EpochProgress progress)
    {
        final int epoch = progress.epoch();
        job.openEpochs.remove(epoch);
        job.epochsCompleted++;
        job.chunksUnavailable += progress.unavailableCount();
        epochsCompleted.incrementOrdered();
        final int[] missing = progress.unavailableChunks();
        job.results.add(new Job.EpochResult(epoch, progress.acknowledgedCount(), missing));
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member member = members.get(i);
            if (member.active && (member.role == Role.WORKER || member.memberId == job.clientMemberId))
            {
                publisher.epochComplete(
                    member.outbox, job.jobId, epoch, progress.acknowledgedCount(), missing, missing.length);
            }
        }

        planAhead();
        if (job.isFinished())
        {
            final JobOutcome outcome = job.chunksUnavailable == 0 ? JobOutcome.COMPLETE : JobOutcome.INCOMPLETE;
            for (int i = 0, size = members.size(); i < size; i++)
            {
                final Member member = members.get(i);
                if (member.active && (member.role == Role.WORKER || member.memberId == job.clientMemberId))
                {
                    publisher.jobComplete(member.outbox, job.jobId, outcome, job.epochsCompleted);
                }
            }
        }
        checkpoint();
    }

    private void checkpoint()
    {
        acknowledgementsSinceCheckpoint = 0;
        if (null != checkpoints && null != job)
        {
            try
            {
                checkpoints.write(job);
            }
            catch (final UncheckedIOException ex)
            {
                error(ex.getMessage());
            }
        }
    }

    private void restore(final CheckpointStore.Checkpoint checkpoint)
    {
        if (null == checkpoint || checkpoint.epochsCompleted() == checkpoint.epochs())
        {
            return;
        }
        job = new Job(checkpoint.jobId(), checkpoint.worldSize(), checkpoint.epochs(), checkpoint.seed(),
            checkpoint.datasetId());
        job.bind(checkpoints.manifest());
        job.nextEpochToPlan = checkpoint.nextEpochToPlan();
        job.epochsCompleted = checkpoint.epochsCompleted();
        job.chunksUnavailable = checkpoint.chunksUnavailable();
        for (final Map.Entry<Integer, BitSet[]> open : checkpoint.openEpochs().entrySet())
        {
            final int epoch = open.getKey();
            final EpochProgress progress =
                new EpochProgress(EpochPlanner.plan(job.chunkLengths, job.worldSize, job.seed, epoch));
            progress.restore(open.getValue()[0], open.getValue()[1]);
            job.openEpochs.put(epoch, progress);
        }
        nextJobId = job.jobId + 1;
        ctx.logger().accept("coordinator: resumed job " + job.jobId + " from " + checkpoints.file() + " at epoch " +
            job.epochsCompleted + " with " + job.openEpochs.size() + " epoch(s) open");
    }

    private void sendJobStarted(final Member member)
    {
        publisher.jobStarted(member.outbox, job.correlationId, job.jobId, job.worldSize, job.epochs, job.seed,
            null != job.manifest ? job.chunkLengths.length : 0, null != job.manifest ? job.manifest.totalBytes() : 0,
            job.datasetId);
    }

    /**
     * Send chunk ids in batches. A non-negative {@code firstPosition} numbers the rank's planned slice;
     * a reassignment or resend carries -1: those chunks extend the slice rather than start it.
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
        if (null == member || member.memberId != memberId || !member.active)
        {
            onInvalid(sessionId, ErrorCode.NOT_REGISTERED, templateId,
                "member " + memberId + " is not registered on this session");
            return null;
        }
        member.leaseDeadlineNs = nowNs + ctx.leaseTimeoutNs();
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
        final ErrorCode code,
        final String reason)
    {
        refused.incrementOrdered();
        error("refused registration from session " + sessionId + ": " + reason);
        refusals.add(new Refusal(
            aeron.asyncAddExclusivePublication(responseChannel, responseStreamId), correlationId, code, reason,
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
                final Publication publication;
                try
                {
                    publication = aeron.getExclusivePublication(refusal.registrationId);
                }
                catch (final RuntimeException ex)
                {
                    refusals.remove(i);
                    continue;
                }
                if (null != publication)
                {
                    refusal.outbox = new Outbox(publication);
                }
            }
            else if (refusal.outbox.publication().isConnected() && !refusal.sent)
            {
                publisher.errorResponse(
                    refusal.outbox, refusal.correlationId, refusal.code, RegisterDecoder.TEMPLATE_ID, refusal.reason);
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

    private static final class Refusal
    {
        final long registrationId;
        final long correlationId;
        final ErrorCode code;
        final String reason;
        final long deadlineNs;
        Outbox outbox;
        boolean sent;

        Refusal(
            final long registrationId,
            final long correlationId,
            final ErrorCode code,
            final String reason,
            final long deadlineNs)
        {
            this.registrationId = registrationId;
            this.correlationId = correlationId;
            this.code = code;
            this.reason = reason;
            this.deadlineNs = deadlineNs;
        }
    }
}
