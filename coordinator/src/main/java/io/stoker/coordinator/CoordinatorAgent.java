package io.stoker.coordinator;

import io.aeron.Aeron;
import io.stoker.codecs.ChunkUnavailableDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobSubmitDecoder;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.ProofDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckDecoder;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.Manifest;
import io.stoker.plan.JobSpec;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.LayoutAssembler;
import io.stoker.transport.control.JobSpecCodec;
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
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The coordinator's duty cycle and its dispatch to the roles that do the work: {@link MemberSessions} (the
 * member table and leases, both ways: members heartbeat, and so does the coordinator, so members notice a
 * restart), {@link DatasetRelay} (what data servers advertise, passed on to workers), {@link Jobs} (a
 * {@link JobScheduler} per job the coordinator runs: the job, its epoch plans, progress counted from
 * acknowledgements, reassignment of a dead worker's steps), the journal ({@link JournalAgent}) and the restart
 * notices ({@link MemberRoutes}). This agent decodes, checks who sent what, calls the role (a worker's or a client's
 * message goes to its session's job only), and sends what the roles decide through its publishers.
 * <p>
 * Members open their sessions through a {@link SessionAcceptor} (both sides prove the token of the job the member
 * names, derived from the cluster token this side holds, then every message is sealed); only an admitted member's
 * session may send anything but a handshake, and
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
    private static final int JOURNAL_BUFFER_LENGTH = 1 << 23;

    private final CoordinatorContext ctx;
    private final CheckpointStore checkpoints;
    private final JournalAgent journalAgent;
    private final JournalPublisher journal;
    private final MemberRoutes routes;
    private final ControlPublisher publisher = new ControlPublisher();
    private final SessionPublisher sessionPublisher = new SessionPublisher();
    private final StatusCounters counters;
    private final Refusals refusals;
    private final SessionAcceptor acceptor;
    private final ControlAdapter adapter;
    private final AtomicCounter leaseExpiries;
    private final AtomicCounter membersCounter;
    private final AtomicCounter errors;
    private final MemberSessions sessions;
    private final DatasetRelay relay;
    private final Jobs jobs;
    private final List<SchedulerSends> jobSends = new ArrayList<>();
    private final FenceLog fences = new FenceLog();
    private final ServingWeights servingWeights = new ServingWeights();
    private final StepAckAnswers answers;
    private final int[] ackSteps = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private final int[] rangeFirsts = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
    private final DescriptorSends descriptorSends = new DescriptorSends(publisher);
    private long layoutJobId = -1;
    private byte[] layoutBytes;
    private final int[] rangeCounts = new int[MessageLimits.MAX_STEPS_PER_MESSAGE];
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
            CounterType.LEASE_EXPIRIES, CounterType.EPOCHS_COMPLETED, CounterType.SAMPLES_DELIVERED,
            CounterType.MEMBERS,
            CounterType.INVALID_MESSAGES, CounterType.SESSIONS_REFUSED, CounterType.SESSIONS_PENDING,
            CounterType.ERRORS, CounterType.AGENT_ERRORS);
        leaseExpiries = counters.get(CounterType.LEASE_EXPIRIES);
        membersCounter = counters.get(CounterType.MEMBERS);
        errors = counters.get(CounterType.ERRORS);
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(JOURNAL_BUFFER_LENGTH + RingBufferDescriptor.TRAILER_LENGTH)));
        journalAgent = new JournalAgent(
            ring, journalFile, recovered, checkpoints, ctx.ackLogFile(), ctx.errorHandler(), errors);
        journal = new JournalPublisher(ring, journalAgent, null != recovered ? recovered.length() : 0);
        routes = memberRoutes(null != checkpoints ? checkpoints.readMembers() : null);
        sessions = new MemberSessions(ctx.leaseTimeoutNs(), ctx.heartbeatIntervalNs(), new SessionEvents());
        relay = new DatasetRelay(sessions, publisher);
        answers = new StepAckAnswers(publisher, memberId ->
        {
            final Member member = sessions.member(memberId);
            return null != member ? member.outbox : null;
        });
        final JobIds jobIds = new JobIds();
        jobs = new Jobs(ctx.maxJobs(), jobName ->
        {
            final SchedulerSends sends = new SchedulerSends(jobName);
            final JobScheduler scheduler = new JobScheduler(ctx.maxWorldSize(), ctx.epochLookahead(),
                ctx.checkpointInterval(), jobIds, relay, sends);
            sends.scheduler = scheduler;
            jobSends.add(sends);
            return scheduler;
        }, this::forget);
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
        int work = jobs.continueMoves();
        int fragments = 0;
        boolean drained = false;
        // a message is taken in only when every journal record it can give rise to fits; otherwise it waits in
        // its stream (the sender meets back pressure) and, the stream not drained, no lease is checked meanwhile
        while (fragments < FRAGMENT_LIMIT && journal.hasRoomFor(MessageLimits.MAX_STEPS_PER_MESSAGE))
        {
            final int polled = adapter.poll(1);
            if (0 == polled)
            {
                drained = true;
                break;
            }
            fragments += polled;
        }
        work += fragments + acceptor.doWork(nowNs) + serviceMembers(drained);
        work += journal.poll(jobs);
        work += routes.doWork(nowNs);
        final byte[] changedRoutes = routes.changed();
        if (null != changedRoutes && null != checkpoints)
        {
            journalAgent.members(changedRoutes);
        }
        work += checkpointWhenDue();
        work += jobs.tryStart(journal.checkpointsWritten());
        for (int i = 0, size = jobSends.size(); i < size; i++)
        {
            jobSends.get(i).showState();
        }
        work += answers.flush();
        return work;
    }

    private void forget(final JobScheduler scheduler)
    {
        for (int i = 0, size = jobSends.size(); i < size; i++)
        {
            final SchedulerSends sends = jobSends.get(i);
            if (sends.scheduler == scheduler)
            {
                CloseHelper.close(sends.jobCounters);
                jobSends.remove(i);
                ctx.logger().accept("coordinator: forgot finished job " + scheduler.job().jobId + " (" +
                    Quote.of(sends.jobName) + ") to make room for another");
                return;
            }
        }
    }

    @Override
    public void onClose()
    {
        sessions.closeAll();
        for (int i = 0, size = jobSends.size(); i < size; i++)
        {
            CloseHelper.close(jobSends.get(i).jobCounters);
        }
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
        final Member member = sessions.bySession(sessionId);
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
        final Member member = sessions.bySession(sessionId);
        return null != member && member.registerCorrelationId == correlationId;
    }

    /**
     * Admit a member whose session is authenticated: a worker only while no live worker holds its rank, or when it
     * is a newer incarnation of the rank's holder (the holder's process was restarted), which takes the rank over.
     */
    @Override
    public boolean onAuthenticated(final PendingSession session, final long nowNs)
    {
        final HandshakeIdentity identity = session.identity();
        sessions.release(session.sessionId());
        String refusal = sessions.refusal(identity);
        if (null == refusal && identity.role() != Role.DATA_SERVER)
        {
            refusal = jobs.admit(identity.jobName(), sessions::holdsJob);
        }
        if (null != refusal)
        {
            session.reject(ErrorCode.REGISTRATION_REFUSED, refusal);
            error("refused " + (identity.role() == Role.WORKER ? "a worker of rank " + identity.rank() :
                "a " + identity.role()) + " from " + Quote.of(identity.hostId()) + ": " + refusal);
            return false;
        }
        sessions.admit(session.sessionId(), session.correlationId(), identity, session.outbox(), session.opener(),
            ctx.nanoClock().nanoTime());
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
            member.echo(decoder.timestampNs());
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
            relay.onAdvertisement(member, decoder, message, offset, length);
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
            final Manifest manifest = relay.onManifestPart(decoder);
            if (null != manifest)
            {
                ctx.logger().accept("coordinator: " + member.describe() + " serves dataset " + manifest.datasetId() +
                    " (" + manifest.chunkCount() + " chunks in " + manifest.shardCount() + " shards)");
            }
        }
        catch (final DatasetException ex)
        {
            refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), ex.getMessage());
        }
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
        final int weight = decoder.weight();
        final String refusal = ServingWeights.isValid(weight) ?
            jobs.get(member.jobName).submit(member.memberId, correlationId, spec, weight) :
            "a job's weight is 1 to " + MessageLimits.MAX_JOB_WEIGHT + ", not " + weight;
        if (null != refusal)
        {
            reply(member, correlationId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(), refusal);
        }
    }

    /**
     * A worker claims steps of a stream for its consumer: each it holds is counted and confirmed once durable, each
     * it does not is refused in the answer (see {@link JobScheduler#acknowledge}). A message naming a step,
     * segment, stream or epoch not planned is refused whole; one naming steps the worker no longer holds (its lease
     * ended and they went to another rank) is reported once, and the steps it does hold are taken: a worker
     * claiming again after a lease lost must not lose its good claims with its stale ones.
     */
    @Override
    public void onStepAck(final int sessionId, final StepAckDecoder decoder)
    {
        final Member member = sender(sessionId, decoder.memberId(), decoder.sbeTemplateId(), Role.WORKER);
        if (null == member)
        {
            return;
        }
        int count = 0;
        for (final StepAckDecoder.StepsDecoder row : decoder.steps())
        {
            ackSteps[count++] = row.step();
        }
        final String refusal = jobs.get(member.jobName).acknowledge(member.memberId, member.rank, decoder.jobId(),
            new StreamId(decoder.epoch(), decoder.segment(), decoder.stream()), ackSteps, count);
        if (null != refusal)
        {
            refusals.refuse(sessionId, ErrorCode.NOT_AUTHORIZED, decoder.sbeTemplateId(), refusal);
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
        final StreamId stream = new StreamId(decoder.epoch(), decoder.segment(), decoder.stream());
        final String refusal = jobs.get(member.jobName).chunkUnavailable(member.memberId, member.rank,
            member.describe(), decoder.jobId(), stream, decoder.step(), decoder.chunkId(), decoder.reason());
        if (null != refusal)
        {
            refusals.refuse(sessionId, ErrorCode.NOT_AUTHORIZED, decoder.sbeTemplateId(), refusal);
        }
    }

    @Override
    public void onUnexpected(final int sessionId, final int templateId)
    {
        refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "not a message the coordinator takes");
    }

    /**
     * @param checkLeases false while messages are backed up: a member's heartbeat may be among them.
     */
    private int serviceMembers(final boolean checkLeases)
    {
        int work = sessions.doWork(nowNs, checkLeases);
        for (int i = 0, size = sessions.size(); i < size; i++)
        {
            work += sessions.get(i).outbox.drain();
        }
        return work;
    }

    /**
     * Hand the journal agent a checkpoint of the jobs when one of them is due (at an epoch's end, a job's start,
     * every {@link CoordinatorContext#checkpointInterval()} acknowledgements of a job, and before a new job starts)
     * and the journal is quiet: every record offered is durable and counted, so the checkpoint holds exactly the
     * journal up to its position, for every job.
     */
    private int checkpointWhenDue()
    {
        if (!jobs.isCheckpointDue() || !journal.isQuiet())
        {
            return 0;
        }
        jobs.checkpointAsked(journal.checkpoint(jobs.checkpointed()));
        return 1;
    }

    /**
     * Take the checkpoint's jobs, also finished ones (a client that attaches late is answered with its outcome),
     * and replay the journal's records after the checkpoint's position.
     */
    private void restore(final CheckpointStore.Checkpoint checkpoint, final JournalFile recovered)
    {
        jobs.restore(checkpoint, checkpoints::manifest);
        recovered.replay(checkpoint.journalPosition(), jobs);
        jobs.replayed();
        for (final CheckpointStore.JobCheckpoint restored : checkpoint.jobs())
        {
            final Job job = jobs.get(restored.jobName()).job();
            ctx.logger().accept("coordinator: resumed job " + job.jobId +
                (restored.jobName().isEmpty() ? "" : " (" + restored.jobName() + ")") + " from " + checkpoints.file() +
                " and " + (recovered.length() - checkpoint.journalPosition()) / JournalRecord.FRAMED_LENGTH +
                " journal record(s) after it at epoch " + job.epochsCompleted() + " of " + job.spec.epochs() +
                " with " + job.openEpochCount() + " epoch(s) open" + (job.isFinished() ? ": the job is finished" : ""));
        }
    }

    /**
     * A worker is told the job's dataset layout ahead of the job's start: encoded once a job.
     */
    private void sendLayout(final Member worker, final Job job)
    {
        if (layoutJobId != job.jobId)
        {
            layoutBytes = DatasetLayout.of(job.manifest()).toBytes();
            layoutJobId = job.jobId;
        }
        if (!LayoutAssembler.send(publisher, worker.outbox, job.jobId, job.datasetId(), layoutBytes))
        {
            error("outbox of " + worker.describe() + " is full: the layout of job " + job.jobId + " not sent");
        }
    }

    /**
     * Send ascending steps of a stream as ranges, in messages of at most {@link MessageLimits#MAX_STEPS_PER_MESSAGE}.
     */
    private void sendAssignment(final Member worker, final long jobId, final StreamId stream, final int[] steps)
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
                offerAssignment(worker, jobId, stream, ranges);
                ranges = 0;
            }
            rangeFirsts[ranges] = step;
            rangeCounts[ranges++] = 1;
        }
        if (ranges > 0)
        {
            offerAssignment(worker, jobId, stream, ranges);
        }
    }

    private void offerAssignment(final Member worker, final long jobId, final StreamId stream, final int ranges)
    {
        if (!publisher.assignment(worker.outbox, jobId, stream, worker.rank, rangeFirsts, rangeCounts, 0, ranges))
        {
            error("outbox of " + worker.describe() + " is full: assignment of stream " + stream.rank() +
                " of segment " + stream.segment() + " of epoch " + stream.epoch() + " not sent");
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
        final Member member = sessions.sender(sessionId, memberId, ctx.nanoClock().nanoTime());
        if (null == member)
        {
            refusals.refuse(sessionId, ErrorCode.NOT_REGISTERED, templateId,
                "member " + memberId + " is not registered on this session");
            return null;
        }
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
        final Member member = sessions.bySession(sessionId);
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

    /**
     * What the member table tells: admissions are registered and welcomed, lease ends acted on, departures
     * forgotten by the restart notices.
     */
    /**
     * A worker's membership ended (its lease expired, a newer incarnation superseded it, or its session registered
     * again): every data server revokes what that registration could read with, so a worker that was only paused
     * cannot read over RDMA under its old keys (the data server deregisters them) nor over UDP (the data server
     * refuses its reads). Remembered ({@link FenceLog}), to tell data servers that register later.
     */
    private void serveAtDataServers(final String jobName, final int weight)
    {
        for (int i = 0, size = sessions.size(); i < size; i++)
        {
            final Member server = sessions.get(i);
            if (server.role == Role.DATA_SERVER)
            {
                publisher.jobServing(server.outbox, jobName, weight);
            }
        }
    }

    private void fenceAtDataServers(final Member member)
    {
        if (member.role == Role.WORKER)
        {
            fences.record(member.memberId, member.rank, member.registerCorrelationId);
        }
        for (int i = 0, size = member.role == Role.WORKER ? sessions.size() : 0; i < size; i++)
        {
            final Member server = sessions.get(i);
            if (server.role == Role.DATA_SERVER)
            {
                publisher.workerFenced(server.outbox, member.memberId, member.rank, member.registerCorrelationId);
            }
        }
    }

    private final class SessionEvents implements MemberSessions.Listener
    {
        @Override
        public void onAdmitted(final Member member)
        {
            membersCounter.setOrdered(sessions.size());
            routes.admitted(member.sessionId, member.registerCorrelationId, member.identity.responseChannel(),
                member.identity.responseStreamId(), member.jobName);
            publisher.registered(
                member.outbox, member.registerCorrelationId, member.memberId,
                ctx.leaseTimeoutNs(), ctx.heartbeatIntervalNs());
            if (member.role == Role.WORKER)
            {
                relay.welcome(member);
                jobs.get(member.jobName).onWorkerJoined(member.rank, member.memberId);
            }
            else if (member.role == Role.DATA_SERVER)
            {
                for (int i = 0, size = fences.size(); i < size; i++)
                {
                    publisher.workerFenced(member.outbox, fences.memberId(i), fences.rank(i), fences.registrationId(i));
                }
                servingWeights.forEachRunning(
                    (jobName, weight) -> publisher.jobServing(member.outbox, jobName, weight));
            }
        }

        /**
         * One that expired is announced to the workers, and a worker's unreleased steps go to the live ranks. One
         * superseded by a newer incarnation of its rank is told its lease expired, so that a holder that was only
         * paused stops, and anything it sends after is refused; the steps it held stay with its rank, and the new
         * worker is assigned them when it is welcomed.
         */
        @Override
        public void onLeaseEnded(final Member member, final LeaseEnd reason)
        {
            leaseExpiries.incrementOrdered();
            if (reason == LeaseEnd.SUPERSEDED)
            {
                publisher.leaseExpired(member.outbox, member.memberId, LeaseEnd.SUPERSEDED);
                member.outbox.drain();
                ctx.logger().accept("coordinator: " + member.describe() + " superseded by a newer incarnation, " +
                    "which takes over its steps");
                return;
            }
            error("lease of " + member.describe() + " expired");
            for (int i = 0, size = sessions.size(); i < size; i++)
            {
                final Member other = sessions.get(i);
                if (other.role == Role.WORKER && other.jobName.equals(member.jobName))
                {
                    publisher.leaseExpired(other.outbox, member.memberId, LeaseEnd.EXPIRED);
                }
            }
            if (member.role == Role.WORKER)
            {
                jobs.get(member.jobName).onWorkerLost(member.rank, member.memberId);
            }
        }

        @Override
        public void onRemoved(final Member member)
        {
            fenceAtDataServers(member);
            routes.removed(member.sessionId);
            relay.onRemoved(member);
            if (member.role == Role.WORKER)
            {
                jobs.get(member.jobName).onWorkerLeft(member.rank, member.memberId);
            }
            membersCounter.setOrdered(sessions.size());
        }

        @Override
        public void onHeartbeatDue(final Member member, final long nowNs)
        {
            publisher.heartbeat(member.outbox, member.memberId, nowNs, member.echoTimestampNs());
        }
    }

    /**
     * What the scheduler decides, sent through the members' outboxes, offered to the journal, counted and logged.
     */
    private final class SchedulerSends implements SchedulerOutput
    {
        private final String jobName;
        private final StatusCounters jobCounters;
        private JobScheduler scheduler;

        /**
         * @param jobName the job whose scheduler it serves: a named job's figures are counted in its own counters
         *                too, labelled with its name ({@code coordinator job NAME: steps acknowledged}), with its
         *                state.
         */
        SchedulerSends(final String jobName)
        {
            this.jobName = jobName;
            jobCounters = jobName.isEmpty() ? null : new StatusCounters(ctx.aeron(), "coordinator job " + jobName,
                CounterType.STEPS_ACKNOWLEDGED, CounterType.SAMPLES_DELIVERED, CounterType.CHUNKS_UNAVAILABLE,
                CounterType.STEPS_REASSIGNED, CounterType.EPOCHS_COMPLETED, CounterType.JOB_STATE);
        }

        /**
         * Show the job's state in its counter: 0 waiting to start (or none submitted yet), 1 running, 2 finished.
         */
        void showState()
        {
            if (null != jobCounters)
            {
                final Job job = scheduler.job();
                jobCounters.get(CounterType.JOB_STATE).setOrdered(
                    null == job || !job.isStarted() ? 0 : job.isFinished() ? 2 : 1);
            }
        }

        @Override
        public void jobStarted(final int memberId, final Job job)
        {
            answers.flush();
            final Member member = sessions.member(memberId);
            if (null != member)
            {
                final int weight = servingWeights.started(member.jobName, job.weight);
                if (0 != weight)
                {
                    serveAtDataServers(member.jobName, weight);
                }
                if (member.role == Role.WORKER && null != job.manifest())
                {
                    sendLayout(member, job);
                }
                publisher.jobStarted(member.outbox, job.correlationId(), job.jobId,
                    null != job.manifest() ? job.manifest().chunkCount() : 0,
                    null != job.manifest() ? job.manifest().totalBytes() : 0, job.spec);
            }
        }

        @Override
        public void assign(final int memberId, final int rank, final long jobId, final StreamId stream,
            final int[] steps)
        {
            answers.flush();
            final Member worker = sessions.member(memberId);
            if (null != worker)
            {
                final Job job = scheduler.job();
                if (!descriptorSends.send(worker.outbox, jobId, stream.epoch(), job.manifest(),
                    job.openEpoch(stream.epoch()).segment().stream(stream.rank()), steps))
                {
                    error("outbox of " + worker.describe() + " is full: chunk descriptors of stream " +
                        stream.rank() + " of epoch " + stream.epoch() + " not sent");
                }
                sendAssignment(worker, jobId, stream, steps);
            }
        }

        @Override
        public void epochComplete(final int memberId, final long jobId, final Job.EpochResult result)
        {
            answers.flush();
            final Member member = sessions.member(memberId);
            if (null != member)
            {
                publisher.epochComplete(member.outbox, jobId, result.epoch(), result.deliveredSamples(),
                    result.droppedSamples(), result.steps(), result.missing());
            }
        }

        @Override
        public void jobComplete(final int memberId, final long jobId, final JobOutcome outcome, final int epochs)
        {
            answers.flush();
            final Member member = sessions.member(memberId);
            if (null != member)
            {
                if (servingWeights.ended(member.jobName))
                {
                    serveAtDataServers(member.jobName, 0);
                }
                publisher.jobComplete(member.outbox, jobId, outcome, epochs);
            }
        }

        @Override
        public void answer(final int memberId, final long jobId, final int epoch, final int segment, final int stream,
            final int step, final boolean confirmed)
        {
            answers.add(memberId, jobId, epoch, segment, stream, step, confirmed);
        }

        @Override
        public boolean journal(final int type, final long jobId, final StreamId stream, final int step,
            final int value)
        {
            return journal.offer(type, jobId, stream, step, value);
        }

        @Override
        public void count(final CounterType type, final long delta)
        {
            counters.get(type).getAndAddOrdered(delta);
            if (null != jobCounters)
            {
                jobCounters.get(type).getAndAddOrdered(delta);
            }
        }

        @Override
        public void log(final String message)
        {
            ctx.logger().accept(message);
        }

        @Override
        public void error(final String message)
        {
            CoordinatorAgent.this.error(message);
        }
    }
}
