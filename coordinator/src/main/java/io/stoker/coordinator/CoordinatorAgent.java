package io.stoker.coordinator;

import io.aeron.Aeron;
import io.stoker.codecs.ChunkUnavailableDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobSubmitDecoder;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.ProofDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckDecoder;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.Manifest;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.JobSpecCodec;
import io.stoker.transport.control.ManifestAssembler;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.session.Authenticator;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.PendingSession;
import io.stoker.transport.session.Service;
import io.stoker.transport.session.SessionAcceptor;
import io.stoker.transport.session.SessionDirectory;
import io.stoker.transport.session.SessionPublisher;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The coordinator's duty cycle: membership with leases (both ways: members heartbeat, and so does the
 * coordinator, so members notice a restart), the job, its epoch plans, progress counted from
 * acknowledgements, reassignment of a dead worker's chunks, and checkpoints.
 * <p>
 * Members open their sessions through a {@link SessionAcceptor} (both sides prove the job token, then
 * every message is sealed); only an admitted member's session may send anything but a handshake, and
 * only what its role may: data servers advertise, clients submit and watch, and a worker acknowledges
 * only the chunks it holds. Everything leaves through one sealed outbox per member, so nothing here
 * waits on a peer.
 * <p>
 * Progress is journaled: an acknowledgement (a chunk unavailable, a step moved) is offered to the
 * {@link #journalAgent() journal agent}, which makes it durable on its own thread, and is counted here only
 * then, in the ack log, the counters, epoch completion and what members are told; a restart is a checkpoint
 * (the journal's compaction, written by the journal agent too) plus a replay of the journal after it, so
 * nothing counted is forgotten and nothing sent again is counted twice. This cycle does no blocking I/O.
 */
public final class CoordinatorAgent implements Agent, ControlListener, SessionAcceptor.Listener, SessionDirectory
{
    private static final int FRAGMENT_LIMIT = 32;
    private static final int MANIFESTS_IN_PROGRESS = 8;
    private static final int JOURNAL_BUFFER_LENGTH = 1 << 20;

    private final CoordinatorContext ctx;
    private final CheckpointStore checkpoints;
    private final JournalAgent journalAgent;
    private final JournalPublisher journal;
    private final JournalRecord.Handler onDurable = this::onDurable;
    private final MemberRoutes routes;
    private final ControlPublisher publisher = new ControlPublisher();
    private final SessionPublisher sessionPublisher = new SessionPublisher();
    private final StatusCounters counters;
    private final Refusals refusals;
    private final SessionAcceptor acceptor;
    private final ControlAdapter adapter;
    private final AtomicCounter acknowledged;
    private final AtomicCounter unavailable;
    private final AtomicCounter reassigned;
    private final AtomicCounter leaseExpiries;
    private final AtomicCounter epochsCompleted;
    private final AtomicCounter membersCounter;
    private final AtomicCounter errors;
    private final List<Member> members = new ArrayList<>();
    private final Int2ObjectHashMap<Member> membersBySession = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<Member> workersByRank = new Int2ObjectHashMap<>();
    private final List<Member> expired = new ArrayList<>();
    private final UnsafeBuffer relayBuffer = new UnsafeBuffer(new byte[0]);
    private final ManifestAssembler manifests = new ManifestAssembler(MANIFESTS_IN_PROGRESS);
    private final int[] ackSteps = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private final int[] rangeFirsts = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private final int[] rangeCounts = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private int nextMemberId = 1;
    private long nextJobId = 1;
    private int acknowledgementsSinceCheckpoint;
    private boolean checkpointDue;
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
        final Aeron aeron = ctx.aeron();
        this.checkpoints = null != ctx.checkpointDirectory() ? new CheckpointStore(ctx.checkpointDirectory()) : null;
        final CheckpointStore.Checkpoint checkpoint = null != checkpoints ? checkpoints.read() : null;
        final Path journalFile = null != checkpoints ? ctx.checkpointDirectory().resolve(JournalFile.FILE_NAME) : null;
        final JournalFile recovered = null != journalFile ? JournalFile.recover(journalFile, ctx.logger()) : null;
        counters = new StatusCounters(aeron, "coordinator",
            CounterType.STEPS_ACKNOWLEDGED, CounterType.CHUNKS_UNAVAILABLE, CounterType.STEPS_REASSIGNED,
            CounterType.LEASE_EXPIRIES, CounterType.EPOCHS_COMPLETED, CounterType.MEMBERS,
            CounterType.INVALID_MESSAGES, CounterType.SESSIONS_REFUSED, CounterType.SESSIONS_PENDING,
            CounterType.ERRORS, CounterType.AGENT_ERRORS);
        acknowledged = counters.get(CounterType.STEPS_ACKNOWLEDGED);
        unavailable = counters.get(CounterType.CHUNKS_UNAVAILABLE);
        reassigned = counters.get(CounterType.STEPS_REASSIGNED);
        leaseExpiries = counters.get(CounterType.LEASE_EXPIRIES);
        epochsCompleted = counters.get(CounterType.EPOCHS_COMPLETED);
        membersCounter = counters.get(CounterType.MEMBERS);
        errors = counters.get(CounterType.ERRORS);
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(JOURNAL_BUFFER_LENGTH + RingBufferDescriptor.TRAILER_LENGTH)));
        journalAgent = new JournalAgent(
            ring, journalFile, recovered, checkpoints, ctx.ackLogFile(), ctx.errorHandler(), errors);
        journal = new JournalPublisher(ring, journalAgent, null != recovered ? recovered.length() : 0);
        routes = memberRoutes(null != checkpoints ? checkpoints.readMembers() : null);
        refusals = new Refusals("coordinator", counters.get(CounterType.INVALID_MESSAGES), ctx.errorHandler(),
            ctx.nanoClock()).answerWith(this::answer);
        acceptor = new SessionAcceptor(
            aeron, ctx.controlChannel(), Authenticator.of(ctx.jobToken(), Service.COORDINATOR),
            refusals, counters.get(CounterType.SESSIONS_REFUSED), counters.get(CounterType.SESSIONS_PENDING),
            ctx.maxPendingSessions(), ctx.handshakeTimeoutNs(), this);
        adapter = new ControlAdapter(
            aeron.addSubscription(ctx.controlChannel(), ControlProtocol.COORDINATOR_STREAM_ID),
            this, refusals, -1, this);
        if (null != checkpoint)
        {
            restore(checkpoint, recovered);
        }
    }

    private MemberRoutes memberRoutes(final byte[] previous)
    {
        final long forgetAtNs = ctx.nanoClock().nanoTime() + ctx.leaseTimeoutNs();
        try
        {
            return new MemberRoutes(ctx.aeron(), ctx.jobToken(), ctx.heartbeatIntervalNs(), previous, forgetAtNs);
        }
        catch (final UncheckedIOException ex)
        {
            ctx.logger().accept("coordinator: " + ex.getMessage() + ": members register again a lease from now");
            return new MemberRoutes(ctx.aeron(), ctx.jobToken(), ctx.heartbeatIntervalNs(), null, forgetAtNs);
        }
    }

    /**
     * The journal's writer, which makes acknowledgements durable before this agent counts them: it must run,
     * on its own thread (an {@code AgentRunner}) when there is a checkpoint directory, so that its fsyncs do not
     * stall this duty cycle; without one it only appends to the ack log, and may share this agent's thread.
     *
     * @return the agent that writes the journal, the ack log and the checkpoints.
     */
    public JournalAgent journalAgent()
    {
        return journalAgent;
    }

    @Override
    public String roleName()
    {
        return "stoker-coordinator";
    }

    @Override
    public int doWork()
    {
        nowNs = ctx.nanoClock().nanoTime();
        final int fragments = adapter.poll(FRAGMENT_LIMIT);
        int work = fragments + acceptor.doWork(nowNs) + serviceMembers(fragments < FRAGMENT_LIMIT);
        work += journal.poll(onDurable);
        work += routes.doWork(nowNs);
        final byte[] changedRoutes = routes.changed();
        if (null != changedRoutes && null != checkpoints)
        {
            journalAgent.members(changedRoutes);
        }
        work += checkpointWhenDue();
        if (null != job && !job.started)
        {
            work += tryStartJob();
        }
        return work;
    }

    @Override
    public void onClose()
    {
        members.forEach(CloseHelper::quietClose);
        CloseHelper.closeAll(routes, acceptor, adapter, counters);
    }

    /**
     * @return the counters this coordinator keeps.
     */
    public StatusCounters counters()
    {
        return counters;
    }

    @Override
    public MessageOpener opener(final int sessionId)
    {
        final Member member = membersBySession.get(sessionId);
        return null != member ? member.opener : null;
    }

    @Override
    public void onHello(final int sessionId, final HelloDecoder decoder)
    {
        acceptor.onHello(sessionId, decoder, nowNs);
    }

    @Override
    public void onProof(final int sessionId, final ProofDecoder decoder)
    {
        acceptor.onProof(sessionId, decoder, nowNs);
    }

    @Override
    public String screen(final HelloDecoder hello)
    {
        if (hello.role() == Role.WORKER && hello.rank() < 0)
        {
            return "worker rank must be >= 0, was " + hello.rank();
        }
        return null;
    }

    @Override
    public boolean isOpen(final int sessionId, final long correlationId)
    {
        final Member member = membersBySession.get(sessionId);
        return null != member && member.registerCorrelationId == correlationId;
    }

    /**
     * Admit a member whose session is authenticated: a worker only while no live worker holds its rank, or when it
     * is a newer incarnation of the rank's holder (the holder's process was restarted), which takes the rank over.
     */
    @Override
    public boolean onAuthenticated(final PendingSession session, final long nowNs)
    {
        final Member previous = membersBySession.get(session.sessionId());
        if (null != previous)
        {
            remove(previous);
        }
        if (session.role() == Role.WORKER)
        {
            final HandshakeIdentity identity = session.identity();
            final Member holder = workersByRank.get(identity.rank());
            if (null != holder && identity.incarnation() <= holder.incarnation)
            {
                session.reject(ErrorCode.REGISTRATION_REFUSED, "rank " + identity.rank() +
                    " is held by a live worker (member " + holder.memberId + ")" +
                    (identity.incarnation() < holder.incarnation ? " of a newer incarnation" : ""));
                error("refused a worker of rank " + identity.rank() + " from " + Quote.of(identity.hostId()) +
                    ": the rank is held by member " + holder.memberId);
                return false;
            }
            if (null != holder)
            {
                supersede(holder, identity);
            }
        }

        final Member member = new Member(nextMemberId++, session, ctx.nanoClock().nanoTime() + ctx.leaseTimeoutNs());
        members.add(member);
        membersBySession.put(member.sessionId, member);
        membersCounter.setOrdered(members.size());
        if (member.role == Role.WORKER)
        {
            workersByRank.put(member.rank, member);
        }
        routes.admitted(member.sessionId, member.registerCorrelationId, session.identity().responseChannel(),
            session.identity().responseStreamId());
        publisher.registered(
            member.outbox, member.registerCorrelationId, member.memberId,
            ctx.leaseTimeoutNs(), ctx.heartbeatIntervalNs());
        if (member.role == Role.WORKER)
        {
            welcomeWorker(member);
        }
        return true;
    }

    /**
     * Renews the sender's lease, as every message from a member does, and keeps its timestamp to echo: the member
     * sent it before this renewal, so its lease ends here no earlier than that timestamp plus the lease.
     */
    @Override
    public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
    {
        final Member member = sender(sessionId, decoder.memberId(), decoder.sbeTemplateId(), null);
        if (null != member)
        {
            member.echoTimestampNs = decoder.timestampNs();
        }
    }

    @Override
    public void onRegionAdvertisement(
        final int sessionId,
        final RegionAdvertisementDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        final Member member = sender(sessionId, decoder.serverId(), decoder.sbeTemplateId(), Role.DATA_SERVER);
        if (null != member)
        {
            member.advertisement.apply(decoder);
            relay(member, message, offset, length);
        }
    }

    @Override
    public void onManifestPart(
        final int sessionId,
        final ManifestPartDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        final Member member = sender(sessionId, -1, decoder.sbeTemplateId(), Role.DATA_SERVER);
        if (null == member)
        {
            return;
        }
        try
        {
            final Manifest manifest = manifests.onPart(decoder);
            if (null != manifest)
            {
                ctx.logger().accept("coordinator: " + member.describe() + " serves dataset " + manifest.datasetId() +
                    " (" + manifest.chunkCount() + " chunks in " + manifest.shardCount() + " shards)");
            }
        }
        catch (final DatasetException ex)
        {
            refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), ex.getMessage());
            return;
        }
        relay(member, message, offset, length);
    }

    /**
     * A job submitted: started when none runs; attached to when it is the running one, also when that one was
     * resumed and the submission is its request as first made (as a client sends it again each time it
     * registers); the running one resumed over a new world size when it is that job with other ranks (its open
     * epochs continue from each stream's released steps); refused otherwise.
     */
    @Override
    public void onJobSubmit(final int sessionId, final JobSubmitDecoder decoder)
    {
        final Member member = sender(sessionId, -1, decoder.sbeTemplateId(), Role.CLIENT);
        final long correlationId = decoder.correlationId();
        final JobSpec spec;
        try
        {
            spec = JobSpecCodec.decode(decoder);
        }
        catch (final IllegalArgumentException ex)
        {
            if (null != member)
            {
                reply(member, correlationId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(), ex.getMessage());
            }
            return;
        }
        if (null == member)
        {
            return;
        }
        if (spec.worldSize() > ctx.maxWorldSize())
        {
            reply(member, correlationId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(),
                "world size must be at most " + ctx.maxWorldSize() + ", was " + spec.worldSize());
            return;
        }
        final boolean fresh = 0 == spec.firstEpoch() && spec.histories().isEmpty();
        final boolean sameJob = null != job && (job.spec.equals(spec) ||
            (fresh && job.spec.isSameJob(spec) && job.spec.worldSize() == spec.worldSize()));
        if (sameJob && job.isFinished())
        {
            attach(member, correlationId);
            publisher.jobComplete(member.outbox, job.jobId, outcome(), job.epochsCompleted);
            return;
        }
        if (null != job && !job.isFinished())
        {
            if (sameJob)
            {
                attach(member, correlationId);
                return;
            }
            if (fresh && job.spec.isSameJob(spec) && null != job.space)
            {
                resize(spec.worldSize());
                job.clientMemberId = member.memberId;
                job.correlationId = correlationId;
                sendJobStarted(member);
                return;
            }
            reply(member, correlationId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(),
                "job " + job.jobId + " is still running");
            return;
        }

        job = new Job(nextJobId++, spec);
        job.clientMemberId = member.memberId;
        job.correlationId = correlationId;
        if (null == manifests.manifest(spec.datasetId()))
        {
            ctx.logger().accept("coordinator: job " + job.jobId + " waits for a data server of dataset " +
                Quote.of(spec.datasetId()));
        }
    }

    /**
     * Count the released steps of a stream the sending worker holds. A message naming a step, segment, stream or
     * epoch not planned is refused whole; one naming steps the worker no longer holds (its lease ended and they
     * went to another rank) is refused for those, counted once, and the steps it does hold are counted: a worker
     * acknowledging again after a lease lost must not lose its good acknowledgements with its stale ones.
     */
    @Override
    public void onStepAck(final int sessionId, final StepAckDecoder decoder)
    {
        final Member member = sender(sessionId, decoder.memberId(), decoder.sbeTemplateId(), Role.WORKER);
        if (null == member)
        {
            return;
        }
        final long jobId = decoder.jobId();
        final StreamId stream = new StreamId(decoder.epoch(), decoder.segment(), decoder.stream());
        final String refusal = checkStream(jobId, stream);
        if (null != refusal)
        {
            refusals.refuse(sessionId, ErrorCode.NOT_AUTHORIZED, decoder.sbeTemplateId(), refusal);
            return;
        }
        final EpochProgress progress = job.openEpochs.get(stream.epoch());
        if (null == progress)
        {
            return;
        }

        int count = 0;
        for (final StepAckDecoder.StepsDecoder row : decoder.steps())
        {
            final int step = row.step();
            final String stepRefusal = checkStep(progress, stream.rank(), step);
            if (null != stepRefusal)
            {
                refusals.refuse(sessionId, ErrorCode.NOT_AUTHORIZED, decoder.sbeTemplateId(), stepRefusal);
                return;
            }
            ackSteps[count++] = step;
        }
        String notHeld = null;
        for (int i = 0; i < count; i++)
        {
            final String holderRefusal = checkHolder(member, progress, stream.rank(), ackSteps[i]);
            if (null != holderRefusal)
            {
                notHeld = null == notHeld ? holderRefusal : notHeld;
            }
            else if (progress.journal(stream.rank(), ackSteps[i]) &&
                !journal.offer(JournalRecord.ACK, jobId, stream, ackSteps[i], member.rank))
            {
                progress.unjournal(stream.rank(), ackSteps[i]);
                error("the journal's buffer is full: acknowledgement of step " + ackSteps[i] + " of " +
                    describe(stream) + " not taken; the worker sends it again when it registers again");
            }
        }
        if (null != notHeld)
        {
            refusals.refuse(sessionId, ErrorCode.NOT_AUTHORIZED, decoder.sbeTemplateId(), notHeld);
        }
    }

    /**
     * A record the journal made durable (or, at start-up, read back after the checkpoint): only now is an
     * acknowledgement counted, a chunk counted missing; a move read back is applied (a live one was when made).
     */
    private void onDurable(final DirectBuffer buffer, final int offset, final boolean replayed)
    {
        final StreamId stream = JournalRecord.stream(buffer, offset);
        final EpochProgress progress = null != job && job.jobId == JournalRecord.jobId(buffer, offset) ?
            job.openEpochs.get(stream.epoch()) : null;
        if (null == progress || progress.segment().index() != stream.segment())
        {
            return;
        }
        final int step = JournalRecord.step(buffer, offset);
        switch (JournalRecord.type(buffer, offset))
        {
            case JournalRecord.ACK ->
            {
                if (progress.release(stream.rank(), step) && !replayed)
                {
                    acknowledged.incrementOrdered();
                    acknowledgementsSinceCheckpoint++;
                }
                completeEpochs();
            }
            case JournalRecord.UNAVAILABLE ->
            {
                progress.markMissing(JournalRecord.value(buffer, offset));
                if (!replayed)
                {
                    unavailable.incrementOrdered();
                }
            }
            case JournalRecord.MOVE ->
            {
                if (replayed)
                {
                    progress.reassign(stream.rank(), step, JournalRecord.value(buffer, offset));
                }
            }
            default -> error("journal: a record of unknown type " + JournalRecord.type(buffer, offset));
        }
    }

    @Override
    public void onChunkUnavailable(final int sessionId, final ChunkUnavailableDecoder decoder)
    {
        final Member member = sender(sessionId, decoder.memberId(), decoder.sbeTemplateId(), Role.WORKER);
        if (null == member)
        {
            return;
        }
        final long jobId = decoder.jobId();
        final StreamId stream = new StreamId(decoder.epoch(), decoder.segment(), decoder.stream());
        final int step = decoder.step();
        final int chunkId = decoder.chunkId();
        final String reason = decoder.reason();
        String refusal = checkStream(jobId, stream);
        final EpochProgress progress = null == refusal ? job.openEpochs.get(stream.epoch()) : null;
        if (null != progress)
        {
            refusal = checkHolder(member, progress, stream.rank(), step);
        }
        if (null == refusal && (chunkId < 0 || chunkId >= job.space.chunkCount()))
        {
            refusal = "chunk " + chunkId + " is not in the dataset of job " + jobId;
        }
        if (null != refusal)
        {
            refusals.refuse(sessionId, ErrorCode.NOT_AUTHORIZED, decoder.sbeTemplateId(), refusal);
            return;
        }
        if (null != progress)
        {
            if (!journal.offer(JournalRecord.UNAVAILABLE, jobId, stream, step, chunkId))
            {
                error("the journal's buffer is full: chunk " + chunkId + " unavailable not taken");
            }
            error(member.describe() + ": chunk " + chunkId + " of step " + step + " of " + describe(stream) +
                " unavailable: " + Quote.of(reason));
        }
    }

    @Override
    public void onUnexpected(final int sessionId, final int templateId)
    {
        refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "not a message the coordinator takes");
    }

    /**
     * @return null when steps of this stream may be counted (or dropped as late), else why not.
     */
    private String checkStream(final long jobId, final StreamId stream)
    {
        if (null == job || job.jobId != jobId || !(job.started || job.resumed))
        {
            return "job " + jobId + " is not the running job";
        }
        if (stream.epoch() < job.spec.firstEpoch() || stream.epoch() >= job.nextEpochToPlan)
        {
            return "epoch " + stream.epoch() + " of job " + jobId + " was never planned";
        }
        final EpochProgress progress = job.openEpochs.get(stream.epoch());
        if (null != progress && (stream.segment() != progress.segment().index() || stream.rank() < 0 ||
            stream.rank() >= progress.worldSize()))
        {
            return describe(stream) + " is not a stream of the epoch's segment " + progress.segment().index() +
                " of " + progress.worldSize() + " ranks";
        }
        return null;
    }

    /**
     * @return null when the member is the live worker holding the step, else why not.
     */
    private static String checkStep(final EpochProgress progress, final int stream, final int step)
    {
        if (step < 0 || step >= progress.steps(stream))
        {
            return "step " + step + " is not in stream " + stream + " of epoch " + progress.epoch() + ", which has " +
                progress.steps(stream);
        }
        return null;
    }

    private String checkHolder(final Member member, final EpochProgress progress, final int stream, final int step)
    {
        final String stepRefusal = checkStep(progress, stream, step);
        if (null != stepRefusal)
        {
            return stepRefusal;
        }
        if (progress.holder(stream, step) != member.rank || workersByRank.get(member.rank) != member)
        {
            return "step " + step + " of stream " + stream + " of epoch " + progress.epoch() + " is held by rank " +
                progress.holder(stream, step) + ", not by " + member.describe();
        }
        return null;
    }

    private static String describe(final StreamId stream)
    {
        return "stream " + stream.rank() + " of segment " + stream.segment() + " of epoch " + stream.epoch();
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
            if (worker.role == Role.WORKER)
            {
                publisher.forward(worker.outbox, message, offset, length);
            }
        }
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
            if (nowNs - member.nextHeartbeatNs >= 0)
            {
                publisher.heartbeat(member.outbox, member.memberId, nowNs, member.echoTimestampNs);
                member.nextHeartbeatNs = nowNs + ctx.heartbeatIntervalNs();
            }
            work += member.outbox.drain();
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

    /**
     * A worker just admitted gets the data servers' manifests and advertisements, and its share of the
     * running job.
     */
    private void welcomeWorker(final Member member)
    {
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
                assignHeldSteps(progress, member);
            }
        }
        else if (null != job && job.isFinished())
        {
            publisher.jobComplete(member.outbox, job.jobId, outcome(), job.epochsCompleted);
        }
    }

    private void expire(final Member member)
    {
        remove(member);
        leaseExpiries.incrementOrdered();
        error("lease of " + member.describe() + " expired");
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member other = members.get(i);
            if (other.role == Role.WORKER)
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

    /**
     * A newer incarnation of a rank's holder proved the token: the holder's process was restarted (or is a stale
     * one). Its membership ends now rather than a lease later: it is told its lease expired, so that a holder that
     * was only paused stops, and anything it sends after is refused; the steps it held stay with its rank, and the
     * new worker is assigned them when it is welcomed.
     */
    private void supersede(final Member holder, final HandshakeIdentity successor)
    {
        publisher.leaseExpired(holder.outbox, holder.memberId);
        holder.outbox.drain();
        remove(holder);
        leaseExpiries.incrementOrdered();
        ctx.logger().accept("coordinator: " + holder.describe() + " superseded by a newer incarnation from " +
            Quote.of(successor.hostId()) + ", which takes over its steps");
    }

    private void remove(final Member member)
    {
        members.remove(member);
        fenceAtDataServers(member);
        if (membersBySession.get(member.sessionId) == member)
        {
            membersBySession.remove(member.sessionId);
        }
        if (member.role == Role.WORKER && workersByRank.get(member.rank) == member)
        {
            workersByRank.remove(member.rank);
        }
        routes.removed(member.sessionId);
        member.close();
        membersCounter.setOrdered(members.size());
    }

    /**
     * A worker's membership ended (its lease expired, a newer incarnation superseded it, or its session registered
     * again): every data server revokes what that registration could read with, so a worker that was only paused
     * cannot read over RDMA under its old keys (the data server deregisters them).
     */
    private void fenceAtDataServers(final Member member)
    {
        for (int i = 0, size = member.role == Role.WORKER ? members.size() : 0; i < size; i++)
        {
            final Member server = members.get(i);
            if (server.role == Role.DATA_SERVER)
            {
                publisher.workerFenced(server.outbox, member.memberId, member.rank, member.registerCorrelationId);
            }
        }
    }

    /**
     * Hand the steps a rank holds and has not released, of every stream, to the live ranks, in contiguous runs
     * so that each survivor's share stays about equal. With no live rank they stay with the dead one, which gets
     * them when a worker of that rank registers again.
     */
    private void reassign(final EpochProgress progress, final int deadRank)
    {
        final List<int[]> held = new ArrayList<>();
        for (int stream = 0; stream < progress.worldSize(); stream++)
        {
            for (final int step : progress.outstanding(stream, deadRank))
            {
                held.add(new int[]{ stream, step });
            }
        }
        if (held.isEmpty() || workersByRank.isEmpty())
        {
            return;
        }

        final int[] liveRanks = workersByRank.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        int from = 0;
        for (int i = 0; i < liveRanks.length; i++)
        {
            final int to = (int)((long)held.size() * (i + 1) / liveRanks.length);
            final Member worker = workersByRank.get(liveRanks[i]);
            for (int j = from; j < to; j++)
            {
                progress.reassign(held.get(j)[0], held.get(j)[1], worker.rank);
                final StreamId stream = new StreamId(progress.epoch(), progress.segment().index(), held.get(j)[0]);
                if (!journal.offer(JournalRecord.MOVE, job.jobId, stream, held.get(j)[1], worker.rank))
                {
                    error("the journal's buffer is full: the move of step " + held.get(j)[1] + " of " +
                        describe(stream) + " to rank " + worker.rank + " not journaled");
                }
            }
            reassigned.getAndAddOrdered(to - from);
            from = to;
        }
        for (final int rank : liveRanks)
        {
            assignHeldSteps(progress, workersByRank.get(rank));
        }
    }

    /**
     * Send a worker every step of the epoch it holds and has not released, stream by stream.
     */
    private void assignHeldSteps(final EpochProgress progress, final Member worker)
    {
        for (int stream = 0; stream < progress.worldSize(); stream++)
        {
            final int[] steps = progress.outstanding(stream, worker.rank);
            if (steps.length > 0)
            {
                sendAssignment(worker, new StreamId(progress.epoch(), progress.segment().index(), stream), steps);
            }
        }
    }

    private int tryStartJob()
    {
        if (null == job.manifest)
        {
            final Manifest manifest = manifests.manifest(job.datasetId());
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
        for (int rank = 0; rank < job.worldSize(); rank++)
        {
            if (null == workersByRank.get(rank))
            {
                return 0;
            }
        }
        if (!allRegionsAdvertised() || job.firstCheckpoint < 0 ||
            journal.checkpointsWritten() < job.firstCheckpoint)
        {
            return 0;
        }

        job.started = true;
        for (final Member worker : workersByRank.values())
        {
            sendJobStarted(worker);
            for (final EpochProgress progress : openEpochsInOrder())
            {
                assignHeldSteps(progress, worker);
            }
        }
        planAhead();
        completeEpochs();
        checkpointDue = true;
        return 1;
    }

    /**
     * @return true when the live data servers of the job's dataset together advertised every shard:
     * a job that started earlier would send workers to regions no one serves yet.
     */
    private boolean allRegionsAdvertised()
    {
        final IntHashSet advertised = new IntHashSet();
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member member = members.get(i);
            if (member.role == Role.DATA_SERVER && job.datasetId().equals(member.advertisement.datasetId()))
            {
                advertised.addAll(member.advertisement.regions().keySet());
            }
        }
        for (int shard = 0, shards = job.manifest.shardCount(); shard < shards; shard++)
        {
            if (!advertised.contains(shard))
            {
                return false;
            }
        }
        return true;
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
        while (job.nextEpochToPlan < job.spec.epochs() && job.nextEpochToPlan <= oldestOpen + ctx.epochLookahead())
        {
            final int epoch = job.nextEpochToPlan++;
            final EpochProgress progress = new EpochProgress(job.spec, job.space, epoch);
            job.openEpochs.put(epoch, progress);
            ctx.logger().accept("coordinator: job " + job.jobId + " planned epoch " + epoch);
            for (int rank = 0; rank < progress.worldSize(); rank++)
            {
                final Member worker = workersByRank.get(rank);
                if (null != worker)
                {
                    assignHeldSteps(progress, worker);
                }
                else
                {
                    reassign(progress, rank);
                }
            }
        }
    }

    /**
     * Complete the oldest open epoch while every step of it is released, planning ahead after each: epochs
     * complete in order, so that those before {@link Job#epochsCompleted} are exactly the ones done (where
     * planning ahead counts from and where a resume starts) and members hear of them in order. An epoch whose
     * steps were all released while an older one is open waits for it.
     */
    private void completeEpochs()
    {
        EpochProgress oldest = job.openEpochs.get(job.epochsCompleted);
        if (null == oldest || !oldest.isComplete())
        {
            return;
        }
        do
        {
            completeEpoch(oldest);
            planAhead();
            oldest = job.openEpochs.get(job.epochsCompleted);
        }
        while (null != oldest && oldest.isComplete());
        if (job.isFinished())
        {
            final JobOutcome outcome = outcome();
            for (int i = 0, size = members.size(); i < size; i++)
            {
                final Member member = members.get(i);
                if (member.role == Role.WORKER || member.memberId == job.clientMemberId)
                {
                    publisher.jobComplete(member.outbox, job.jobId, outcome, job.epochsCompleted);
                }
            }
        }
        checkpointDue = true;
    }

    /**
     * @return how the finished job ended.
     */
    private JobOutcome outcome()
    {
        return job.chunksUnavailable == 0 ? JobOutcome.COMPLETE : JobOutcome.INCOMPLETE;
    }

    private void completeEpoch(final EpochProgress progress)
    {
        final int epoch = progress.epoch();
        job.openEpochs.remove(epoch);
        job.epochsCompleted++;
        final int[] missing = progress.missingChunks();
        job.chunksUnavailable += missing.length;
        epochsCompleted.incrementOrdered();
        final int steps = progress.segment().steps();
        final Job.EpochResult result = new Job.EpochResult(
            epoch, progress.deliveredSamples(), progress.droppedSamples(), steps, missing);
        job.results.add(result);
        for (int i = 0, size = members.size(); i < size; i++)
        {
            final Member member = members.get(i);
            if (member.role == Role.WORKER || member.memberId == job.clientMemberId)
            {
                sendEpochComplete(member, result);
            }
        }
    }

    private void sendEpochComplete(final Member member, final Job.EpochResult result)
    {
        publisher.epochComplete(member.outbox, job.jobId, result.epoch(), result.deliveredSamples(),
            result.droppedSamples(), result.steps(), result.missing());
    }

    /**
     * A client submitted the running job again: it follows it from here, with what is done so far.
     */
    private void attach(final Member client, final long correlationId)
    {
        job.clientMemberId = client.memberId;
        job.correlationId = correlationId;
        if (null != job.manifest)
        {
            sendJobStarted(client);
            for (final Job.EpochResult result : job.results)
            {
                sendEpochComplete(client, result);
            }
        }
    }

    /**
     * Resume the running job over another world size, as a new job: each open epoch continues from what every
     * stream released, planned anew over the new ranks; the job starts when they have all registered.
     */
    private void resize(final int worldSize)
    {
        final Map<Integer, EpochHistory> histories = new TreeMap<>(job.spec.histories());
        for (final EpochProgress progress : openEpochsInOrder())
        {
            final EpochHistory history = histories.getOrDefault(progress.epoch(),
                new EpochHistory(new int[]{ progress.worldSize() }, new int[0][]));
            histories.put(progress.epoch(), history.resumedAfter(progress.releasedPrefixes(), worldSize));
        }
        final JobSpec spec = job.spec;
        final JobSpec resumed = new JobSpec(spec.datasetId(), worldSize, spec.epochs(), spec.seed(), spec.batchSpec(),
            job.epochsCompleted, histories);
        ctx.logger().accept("coordinator: job " + job.jobId + " resumes over " + worldSize + " ranks as job " +
            nextJobId + " at epoch " + job.epochsCompleted);
        final Manifest manifest = job.manifest;
        job = new Job(nextJobId++, resumed);
        job.bind(manifest);
    }

    /**
     * Hand the journal agent a checkpoint of the job when one is due (at an epoch's end, a job's start, every
     * {@link CoordinatorContext#checkpointInterval()} acknowledgements, and before a new job starts) and the
     * journal is quiet: every record offered is durable and counted, so the checkpoint holds exactly the journal
     * up to its position.
     */
    private int checkpointWhenDue()
    {
        if (null == job || null == job.manifest || !journal.isQuiet() || (!checkpointDue && job.firstCheckpoint >= 0 &&
            acknowledgementsSinceCheckpoint < ctx.checkpointInterval()))
        {
            return 0;
        }
        final long sequence = journal.checkpoint(job);
        if (job.firstCheckpoint < 0)
        {
            job.firstCheckpoint = sequence;
        }
        checkpointDue = false;
        acknowledgementsSinceCheckpoint = 0;
        return 1;
    }

    /**
     * Take the checkpoint's job, also a finished one (a client that attaches late is answered with its outcome),
     * and replay the journal's records after the checkpoint's position.
     */
    private void restore(final CheckpointStore.Checkpoint checkpoint, final JournalFile recovered)
    {
        job = new Job(checkpoint.jobId(), checkpoint.spec());
        job.bind(checkpoints.manifest());
        job.nextEpochToPlan = checkpoint.nextEpochToPlan();
        job.epochsCompleted = checkpoint.epochsCompleted();
        job.chunksUnavailable = checkpoint.chunksUnavailable();
        for (final Map.Entry<Integer, CheckpointStore.OpenEpoch> open : checkpoint.openEpochs().entrySet())
        {
            final CheckpointStore.OpenEpoch saved = open.getValue();
            final EpochProgress progress = new EpochProgress(job.spec, job.space, open.getKey());
            progress.restore(saved.released(), saved.moves(), saved.missing());
            job.openEpochs.put(open.getKey(), progress);
        }
        job.results.addAll(checkpoint.results());
        job.firstCheckpoint = 0;
        job.resumed = true;
        nextJobId = job.jobId + 1;
        recovered.replay(checkpoint.journalPosition(), onDurable);
        job.started = job.isFinished();
        ctx.logger().accept("coordinator: resumed job " + job.jobId + " from " + checkpoints.file() + " and " +
            (recovered.length() - checkpoint.journalPosition()) / JournalRecord.FRAMED_LENGTH + " journal record(s) " +
            "after it at epoch " + job.epochsCompleted + " of " + job.spec.epochs() + " with " + job.openEpochs.size() +
            " epoch(s) open" + (job.isFinished() ? ": the job is finished" : ""));
    }

    private void sendJobStarted(final Member member)
    {
        publisher.jobStarted(member.outbox, job.correlationId, job.jobId,
            null != job.manifest ? job.manifest.chunkCount() : 0, null != job.manifest ? job.manifest.totalBytes() : 0,
            job.spec);
    }

    /**
     * Send ascending steps of a stream as ranges, in messages of at most {@link MessageLimits#MAX_STEPS_PER_MESSAGE}.
     */
    private void sendAssignment(final Member worker, final StreamId stream, final int[] steps)
    {
        int ranges = 0;
        for (final int step : steps)
        {
            if (ranges > 0 && step == rangeFirsts[ranges - 1] + rangeCounts[ranges - 1])
            {
                rangeCounts[ranges - 1]++;
                continue;
            }
            if (ranges == rangeFirsts.length)
            {
                offerAssignment(worker, stream, ranges);
                ranges = 0;
            }
            rangeFirsts[ranges] = step;
            rangeCounts[ranges++] = 1;
        }
        if (ranges > 0)
        {
            offerAssignment(worker, stream, ranges);
        }
    }

    private void offerAssignment(final Member worker, final StreamId stream, final int ranges)
    {
        if (!publisher.assignment(worker.outbox, job.jobId, stream, worker.rank, rangeFirsts, rangeCounts, 0, ranges))
        {
            error("outbox of " + worker.describe() + " is full: assignment of " + describe(stream) + " not sent");
        }
    }

    /**
     * The member that sent a message, if the message may come from it: the member id it names (-1 for
     * messages that name none) must be its own, and {@code role}, when given, its role. Renews the lease from the
     * clock read now, not from the duty cycle's time: the message may have been sent after the cycle began, and a
     * worker fences itself at its own send time plus the lease, which must come before this lease ends.
     *
     * @return the member, or null after refusing the message.
     */
    private Member sender(final int sessionId, final int memberId, final int templateId, final Role role)
    {
        final Member member = membersBySession.get(sessionId);
        if (null == member || (memberId != -1 && member.memberId != memberId))
        {
            refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, templateId,
                "member " + memberId + " is not registered on this session");
            return null;
        }
        member.leaseDeadlineNs = ctx.nanoClock().nanoTime() + ctx.leaseTimeoutNs();
        if (null != role && member.role != role)
        {
            refusals.refuse(sessionId, ErrorCode.NOT_AUTHORIZED, templateId,
                member.describe() + " may not send it: only a " + role + " may");
            return null;
        }
        return member;
    }

    private void answer(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
        final Member member = membersBySession.get(sessionId);
        if (null != member && !member.outbox.hasPending())
        {
            sessionPublisher.errorResponse(member.outbox, 0, code, templateId, reason);
        }
        else if (null == member && code == ErrorCode.NOT_REGISTERED)
        {
            routes.onUnknownSession(sessionId, templateId, nowNs);
        }
    }

    private void reply(
        final Member member, final long correlationId, final ErrorCode code, final int templateId, final String reason)
    {
        error("refused a message from " + member.describe() + ": " + reason);
        sessionPublisher.errorResponse(member.outbox, correlationId, code, templateId, reason);
    }

    private void error(final String message)
    {
        errors.incrementOrdered();
        ctx.errorHandler().onError(new ControlProtocolException(message));
    }
}
