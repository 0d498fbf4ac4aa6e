package io.stoker.worker;

import io.stoker.codecs.AssignmentDecoder;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.EpochCompleteDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobCompleteDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.ChunkDescriptorsDecoder;
import io.stoker.codecs.DatasetLayoutDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckAnswerDecoder;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.DatasetLayout;
import io.stoker.plan.JobSpec;
import io.stoker.plan.RankStream;
import io.stoker.plan.Segment;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.JobSpecCodec;
import io.stoker.transport.control.LayoutAssembler;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.SessionInitiator;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntArrayQueue;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A worker's duty cycle: take the job and its assignments from the coordinator, order the assigned steps, have
 * the {@link ReadPipeline} read the chunks they need into the buffer pool, pass them through the sink to the
 * {@link BatchAssembler}, which hands the consumer one {@link Batch} per step, each once the coordinator confirmed
 * the step is this worker's: the worker claims (acknowledges) a step when its consumer is about to take the batch,
 * and the coordinator counts it delivered and confirms it, or refuses it (see {@link Claims}).
 * <p>
 * Every member computes the same plan from the job's {@link JobSpec} and the dataset's layout, so an assignment names
 * only step ranges of a rank's stream. A step assigned twice is delivered once; a released step assigned again
 * is acknowledged again, since the coordinator asking means it does not know it was delivered. The transport
 * callbacks go to private adapters; what consumers may read from other threads is the published
 * {@link WorkerJob} and the resume position.
 *
 * @param <C> the kind of chunk the consumer's batches are views of.
 */
public final class WorkerAgent<C extends Chunk> implements Agent
{
    /**
     * Batches waiting for the consumer at most.
     */
    public static final int FEED_CAPACITY = 256;

    private static final int FRAGMENT_LIMIT = 16;
    private static final int LAYOUTS_HELD = 2;
    private static final int NO_JOB = -1;
    private static final long RELEASE_WAIT_NS = TimeUnit.SECONDS.toNanos(1);

    private final WorkerContext<C> ctx;
    private final String owner;
    private final ControlPublisher publisher = new ControlPublisher();
    private final MemberSession session;
    private final ControlAdapter adapter;
    private final StatusCounters counters;
    private final Refusals refusals;
    private final AtomicCounter chunksDelivered;
    private final AtomicCounter bytesDelivered;
    private final AtomicCounter stepsDelivered;
    private final AtomicCounter samplesDelivered;
    private final AtomicCounter readsInFlight;
    private final AtomicCounter duplicatesDropped;
    private final AtomicCounter leaseExpiries;
    private final AtomicCounter errors;
    private final ServerDirectory directory;
    private final LayoutAssembler layouts = new LayoutAssembler(LAYOUTS_HELD);
    private final StepAcks acks;
    private final LeaseFence fence;
    private final Claims claims = new Claims();
    private final Feed<Batch<C>> feed;
    private final ResumePoint resumePoint = new ResumePoint();
    private final Int2ObjectHashMap<Segment> segments = new Int2ObjectHashMap<>();
    private final Map<StreamId, StreamWork> works = new HashMap<>();
    private final Int2ObjectHashMap<StreamWork> worksById = new Int2ObjectHashMap<>();
    private final IntArrayQueue orderWorks = new IntArrayQueue(1024, -1);
    private final IntArrayQueue orderSteps = new IntArrayQueue(1024, -1);
    private final BitSet closedEpochs = new BitSet();
    private final UnsafeBuffer recordLengths = new UnsafeBuffer(new byte[0]);
    private final Reads reads = new Reads();
    private final Releases releases = new Releases();
    private final BatchAssembler.PieceReader pieceReader = this::read;
    private final ChunkSink.SinkListener bufferReturns = this::onBufferFree;
    private final Claims.Claimant claimant = batch -> acknowledge(batch.order().work(), batch.step());

    private volatile WorkerJob job;
    private volatile boolean closed;
    private long jobId = NO_JOB;
    private BufferPool pool;
    private ChunkSink sink;
    private BatchAssembler<C> assembler;
    private ReadPipeline pipeline;
    private ChunkDescriptors descriptors;
    private ResumeToken resumeFrom;
    private int nextWorkId;
    private volatile int epochsCompleted;
    private volatile JobOutcome outcome;
    private long nowNs;
    private String lastCoordinatorError;

    /**
     * Connect to the coordinator and allocate counters: call at start-up. The buffer pool is allocated when the
     * job starts, sized for the dataset's largest chunk and the job's batches.
     *
     * @param ctx configuration.
     */
    public WorkerAgent(final WorkerContext<C> ctx)
    {
        this.ctx = ctx.conclude();
        owner = "worker rank " + ctx.rank();
        counters = new StatusCounters(ctx.aeron(), owner,
            CounterType.BYTES_READ_LOCAL, CounterType.BYTES_READ_RDMA, CounterType.BYTES_READ_UDP,
            CounterType.CHUNKS_READ_LOCAL, CounterType.CHUNKS_READ_RDMA, CounterType.CHUNKS_READ_UDP,
            CounterType.CHUNKS_DELIVERED, CounterType.BYTES_DELIVERED, CounterType.STEPS_DELIVERED,
            CounterType.SAMPLES_DELIVERED, CounterType.READS_IN_FLIGHT,
            CounterType.READ_RETRIES, CounterType.READ_FAILURES, CounterType.CHECKSUM_FAILURES,
            CounterType.DUPLICATES_DROPPED, CounterType.CONSUMER_WAIT_NS, CounterType.CHUNKS_UNAVAILABLE,
            CounterType.LEASE_EXPIRIES, CounterType.INVALID_MESSAGES, CounterType.ERRORS, CounterType.AGENT_ERRORS);
        chunksDelivered = counters.get(CounterType.CHUNKS_DELIVERED);
        bytesDelivered = counters.get(CounterType.BYTES_DELIVERED);
        stepsDelivered = counters.get(CounterType.STEPS_DELIVERED);
        samplesDelivered = counters.get(CounterType.SAMPLES_DELIVERED);
        readsInFlight = counters.get(CounterType.READS_IN_FLIGHT);
        duplicatesDropped = counters.get(CounterType.DUPLICATES_DROPPED);
        leaseExpiries = counters.get(CounterType.LEASE_EXPIRIES);
        errors = counters.get(CounterType.ERRORS);
        refusals = new Refusals(owner, counters.get(CounterType.INVALID_MESSAGES), ctx.errorHandler(), ctx.nanoClock());
        acks = new StepAcks(publisher);
        fence = new LeaseFence(ctx.leaseMarginNs());
        feed = new Feed<>(FEED_CAPACITY, counters.get(CounterType.CONSUMER_WAIT_NS), claims);

        ctx.counters(counters);
        final List<DataTransport> transports = new ArrayList<>();
        ctx.transportFactories().forEach(factory -> transports.add(factory.apply(ctx)));
        byte transportSet = 0;
        for (final DataTransport transport : transports)
        {
            transportSet = transport.kind().addTo(transportSet);
        }
        directory = new ServerDirectory(transports, ctx.forcedTransport(), ctx.logger(), owner, this::onReaderClosed);

        session = new MemberSession(ctx.aeron(), publisher, ctx.coordinatorChannel(), new HandshakeIdentity(
            Role.WORKER, ctx.rank(), transportSet, ctx.responseStreamId(), ctx.hostId(), ctx.responseChannel(),
            ctx.incarnation(), ctx.jobName()),
            ctx.jobToken(), refusals);
        adapter = new ControlAdapter(
            session.subscription(), session, refusals, ErrorResponseDecoder.TEMPLATE_ID, new ControlMessages());
    }

    @Override
    public String roleName()
    {
        return "stoker-worker-" + ctx.rank();
    }

    /**
     * @return the consumer's end: one batch per step, in the order the worker delivers them.
     */
    public Feed<Batch<C>> feed()
    {
        return feed;
    }

    /**
     * @return this worker's lease as it knows it: it claims steps for its consumer only while the lease is held.
     */
    public LeaseFence fence()
    {
        return fence;
    }

    /**
     * @return the counters this worker keeps.
     */
    public StatusCounters counters()
    {
        return counters;
    }

    /**
     * @return the transports this worker reads over, as a {@link TransportKind} set.
     */
    public byte transportsInUse()
    {
        return directory.transportsInUse();
    }

    /**
     * @return the job this worker serves, or null before it started. Safe to call from any thread.
     */
    public WorkerJob job()
    {
        return job;
    }

    /**
     * Where this rank's consumer is: pass it to {@link WorkerContext#resumeFrom(ResumeToken)} of a worker that
     * takes over after a restart, or, with batches, to the submission of the job resumed on other ranks. Safe to
     * call from the consumer's thread.
     *
     * @return the token, or null before the job started.
     */
    public ResumeToken resumeToken()
    {
        final WorkerJob current = job;
        if (null == current)
        {
            return null;
        }
        awaitReleasesHandled(assembler);
        final long position = resumePoint.position();
        final int epoch = ResumePoint.epochOf(position);
        final JobSpec spec = current.spec();
        final int tokenEpoch = Math.min(epoch, spec.epochs());
        return new ResumeToken(spec.datasetId(), spec.seed(), spec.batchSpec(), current.rank(), tokenEpoch,
            current.historyBefore(tokenEpoch), ResumePoint.stepOf(position));
    }

    /**
     * Wait, briefly, for the agent thread to take back every batch the consumer released before the call, so that
     * a token taken right after a release includes it. A closed agent takes nothing back any more: its token is
     * the last position it published, which at worst repeats steps after a restart and never skips one.
     */
    private void awaitReleasesHandled(final BatchAssembler<C> batches)
    {
        final long offered = batches.releasesOffered();
        final long deadlineNs = System.nanoTime() + RELEASE_WAIT_NS;
        while (batches.releasesHandled() < offered && !closed && System.nanoTime() - deadlineNs < 0)
        {
            Thread.yield();
        }
    }

    /**
     * @return true when a newer incarnation of this worker's rank took the rank over: this worker stopped, handing
     * out nothing more, and does not register again.
     */
    public boolean isSuperseded()
    {
        return fence.isRetired();
    }

    /**
     * @return how the job ended, or null while it runs.
     */
    public JobOutcome outcome()
    {
        return outcome;
    }

    /**
     * @return the job's dataset layout, or null before the job started.
     */
    public DatasetLayout layout()
    {
        final WorkerJob current = job;
        return null == current ? null : current.layout();
    }

    /**
     * @return epochs the coordinator reported complete.
     */
    public int epochsCompleted()
    {
        return epochsCompleted;
    }

    @Override
    public int doWork()
    {
        if (fence.isRetired())
        {
            return null != pipeline ? sink.doWork(bufferReturns) + assembler.doWork(releases) : 0;
        }
        nowNs = ctx.nanoClock().nanoTime();
        int work = session.doWork(nowNs);
        if (!session.isRegistered() && LeaseFence.NOT_HELD != fence.deadlineNs())
        {
            fence.revoke();
        }
        work += session.poll(adapter, FRAGMENT_LIMIT, nowNs);
        if (null != pipeline)
        {
            work += sink.doWork(bufferReturns);
            work += assembler.doWork(releases);
            work += orderSteps();
            work += pipeline.doWork(nowNs, reads);
            readsInFlight.setOrdered(directory.inFlight());
            if (session.isRegistered() && fence.isHeld(nowNs))
            {
                work += claims.claimWanted(claimant);
            }
            if (session.isRegistered() && acks.flush(session.outbox(), session.memberId(), jobId))
            {
                work++;
            }
        }
        return work;
    }

    @Override
    public void onClose()
    {
        closed = true;
        CloseHelper.closeAll(directory, sink, pool, adapter, session, counters);
    }

    /**
     * Hand the assembler the next assigned steps while the pipeline has room for their reads.
     */
    private int orderSteps()
    {
        int work = 0;
        while (!orderWorks.isEmpty() && pipeline.outstanding() < pool.capacity() &&
            assembler.queuedSteps() < pool.capacity())
        {
            final StreamWork stream = worksById.get(orderWorks.pollInt());
            final int step = orderSteps.pollInt();
            if (null == stream || stream.isOrdered(step) || stream.isReleased(step))
            {
                continue;
            }
            final int pieces = stream.plan().lastPiece(step) - stream.plan().firstPiece(step) + 1;
            if (pieces > pool.capacity())
            {
                error("step " + step + " of " + describe(stream) + " needs " + pieces + " chunks in memory at once, " +
                    "more than the " + pool.capacity() + " buffers of this worker: give it more buffers");
                continue;
            }
            assembler.addStep(stream, step, pieceReader);
            stream.order(step);
            work++;
        }
        return work;
    }

    private void read(final StreamWork stream, final int piece)
    {
        pipeline.add(tag(stream, piece), stream.epoch(), stream.plan().piece(piece).chunkId());
    }

    private void onBufferFree(final int buffer)
    {
        pipeline.release(buffer);
    }

    private void onReaderClosed(final DataReader reader)
    {
        if (null != pipeline)
        {
            pipeline.onReaderClosed(reader);
        }
    }

    private void startJob(final int sessionId, final JobStartedDecoder decoder)
    {
        final long startedJobId = decoder.jobId();
        if (startedJobId == jobId)
        {
            return;
        }
        if (NO_JOB != jobId)
        {
            error("job " + startedJobId + " started while job " + jobId + " runs: a worker serves one job");
            return;
        }
        final JobSpec spec;
        try
        {
            spec = JobSpecCodec.decode(decoder);
        }
        catch (final IllegalArgumentException ex)
        {
            refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), ex.getMessage());
            return;
        }
        if (spec.worldSize() <= ctx.rank())
        {
            refusals.refuse(sessionId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(),
                "job " + startedJobId + " has world size " + spec.worldSize() + ", which has no rank " + ctx.rank());
            return;
        }
        if (null != ctx.expectedBatches() && !ctx.expectedBatches().equals(spec.batchSpec()))
        {
            refusals.refuse(sessionId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(), "job " + startedJobId +
                " has " + spec.batchSpec() + ", but this worker's consumer expects " + ctx.expectedBatches());
            error("job " + startedJobId + " refused: it has " + spec.batchSpec() + ", but this worker's consumer " +
                "expects " + ctx.expectedBatches());
            return;
        }
        final DatasetLayout layout = layouts.layout(startedJobId, spec.datasetId());
        if (null == layout)
        {
            error("job " + startedJobId + " started before the layout of dataset " + Quote.of(spec.datasetId()) +
                " arrived");
            return;
        }
        layouts.keepOnly(startedJobId);

        final WorkerJob started = new WorkerJob(startedJobId, spec, layout, WorkerJob.spaceOf(layout), ctx.rank());
        resumeFrom = checkResumeToken(ctx.resumeFrom(), started);
        jobId = startedJobId;
        pool = new BufferPool(started.poolBuffers(ctx.bufferCount()), layout.maxChunkLength(),
            ctx.sinkFactory().allocator());
        assembler = new BatchAssembler<>(feed, ctx.rank());
        sink = ctx.sinkFactory().newSink(pool, assembler);
        descriptors = new ChunkDescriptors(layout);
        pipeline = new ReadPipeline(pool, descriptors, directory, counters, ctx.maxReadAttempts(), ctx.regionWaitNs(),
            this::error);
        directory.bind(pool.memory(), spec.datasetId());
        resumePoint.reset(null != resumeFrom ? resumeFrom.epoch() : spec.firstEpoch());
        job = started;
    }

    /**
     * Keep where the chunks of the steps assigned next are. A descriptor that does not fit the job's layout is
     * refused, naming it, and the rest of the message still taken: the steps that use a chunk not described report
     * it unavailable.
     */
    private void describe(final int sessionId, final ChunkDescriptorsDecoder decoder)
    {
        final int epoch = decoder.epoch();
        if (null == job || decoder.jobId() != jobId)
        {
            refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(),
                "chunk descriptors for job " + decoder.jobId() + ", not job " + jobId);
            return;
        }
        if (epoch < job.spec().firstEpoch() || epoch >= job.spec().epochs() || closedEpochs.get(epoch))
        {
            return;
        }
        for (final ChunkDescriptorsDecoder.ChunksDecoder chunk : decoder.chunks())
        {
            final int chunkId = chunk.chunkId();
            final int shard = chunk.shard();
            final long offset = chunk.offset();
            final int length = chunk.length();
            final int recordCount = chunk.recordCount();
            final int crc = chunk.crc();
            chunk.wrapRecordLengths(recordLengths);
            final String refusal = descriptors.put(epoch, chunkId, shard, offset, length, recordCount, crc,
                recordLengths, 0, recordLengths.capacity());
            if (null != refusal)
            {
                refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), refusal);
                error(refusal);
            }
        }
    }

    private void assign(final int sessionId, final AssignmentDecoder decoder)
    {
        final WorkerJob current = job;
        final StreamId streamId = new StreamId(decoder.epoch(), decoder.segment(), decoder.stream());
        final int rank = decoder.rank();
        String refusal = null;
        if (null == current || decoder.jobId() != jobId || rank != ctx.rank())
        {
            refusal = "assignment for job " + decoder.jobId() + " rank " + rank + " does not fit job " + jobId +
                " rank " + ctx.rank();
        }
        else if (streamId.epoch() < current.spec().firstEpoch() || streamId.epoch() >= current.spec().epochs())
        {
            refusal = "assignment for epoch " + streamId.epoch() + ", outside the job's epochs";
        }
        if (null != refusal || closedEpochs.get(streamId.epoch()))
        {
            if (null != refusal)
            {
                refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), refusal);
            }
            else
            {
                duplicatesDropped.incrementOrdered();
            }
            return;
        }

        final Segment segment = segment(current, streamId.epoch());
        if (streamId.segment() != segment.index() || streamId.rank() < 0 || streamId.rank() >= segment.worldSize())
        {
            refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), "assignment for " +
                describe(streamId) + ", which the plan of epoch " + streamId.epoch() + " (segment " +
                segment.index() + " of " + segment.worldSize() + " ranks) does not have");
            return;
        }
        StreamWork stream = works.get(streamId);
        final RankStream plan = null != stream ? stream.plan() : segment.stream(streamId.rank());
        for (final AssignmentDecoder.StepsDecoder range : decoder.steps())
        {
            final long from = range.firstStep();
            if (from < 0 || range.stepCount() < 1 || from + range.stepCount() > plan.steps())
            {
                refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), "assignment of " +
                    range.stepCount() + " steps from " + from + " of " + describe(streamId) + ", which has " +
                    plan.steps());
                return;
            }
        }

        if (null == stream)
        {
            stream = open(current, streamId, plan);
        }
        decoder.sbeRewind();
        for (final AssignmentDecoder.StepsDecoder range : decoder.steps())
        {
            for (int step = range.firstStep(), end = step + range.stepCount(); step < end; step++)
            {
                if (isResumedPast(stream, step))
                {
                    releases.onStepReleased(stream, step);
                    acknowledge(stream, step);
                }
                else if (stream.assign(step))
                {
                    orderWorks.addInt(stream.id());
                    orderSteps.addInt(step);
                }
                else if (stream.isReleased(step))
                {
                    acknowledge(stream, step);
                }
                else
                {
                    duplicatesDropped.incrementOrdered();
                }
            }
        }
    }

    private StreamWork open(final WorkerJob current, final StreamId streamId, final RankStream plan)
    {
        final StreamWork stream = new StreamWork(nextWorkId++, streamId, plan);
        for (int step = 0, start = current.spec().startStep(streamId.epoch(), streamId.rank()); step < start; step++)
        {
            stream.release(step);
        }
        works.put(streamId, stream);
        worksById.put(stream.id(), stream);
        if (streamId.rank() == ctx.rank())
        {
            resumePoint.track(stream);
        }
        return stream;
    }

    /**
     * The token tells only how far the rank's own streams were consumed: another rank's steps taken over (after
     * that rank's lease ended) are delivered, whatever their epoch.
     *
     * @return true when the resume token says the consumer already took the step: it is acknowledged unread.
     */
    private boolean isResumedPast(final StreamWork stream, final int step)
    {
        return null != resumeFrom && stream.stream() == ctx.rank() && (stream.epoch() < resumeFrom.epoch() ||
            (stream.epoch() == resumeFrom.epoch() && step < resumeFrom.step()));
    }

    private Segment segment(final WorkerJob current, final int epoch)
    {
        Segment segment = segments.get(epoch);
        if (null == segment)
        {
            segment = current.spec().segment(current.space(), epoch);
            segments.put(epoch, segment);
        }
        return segment;
    }

    private void completeEpoch(final int epoch)
    {
        closedEpochs.set(epoch);
        descriptors.forgetBefore(closedEpochs.nextClearBit(job.spec().firstEpoch()));
        resumePoint.complete(epoch);
        segments.remove(epoch);
        works.values().removeIf(stream -> stream.epoch() == epoch);
        worksById.values().removeIf(stream -> stream.epoch() == epoch);
        epochsCompleted++;
    }

    /**
     * Registered anew: while this worker was not registered the coordinator may have given any of its steps to
     * other ranks. Drop every step not yet in the feed (reads, queued steps); the coordinator's assignments to the
     * new registration say what this worker holds. The batches in the feed stay: each goes to the consumer only if
     * the coordinator confirms its claim, and a step assigned again whose batch comes back refused is ordered again.
     */
    private void abandonWork()
    {
        works.values().forEach(StreamWork::dropUnordered);
        orderWorks.clear();
        orderSteps.clear();
        acks.clear();
        if (null != pipeline)
        {
            pipeline.abandon();
            assembler.abandon(releases);
        }
    }

    /**
     * A newer incarnation of this worker's rank took the rank over, and with it the steps this one held: this one
     * stops for good. Nothing more is handed out (the batches still in the feed are dropped), nothing is read,
     * acknowledged or sent, and it does not register again; its feed ends so that whoever runs it can exit.
     */
    private void retire()
    {
        fence.retire();
        abandonWork();
        claims.refuseAll();
        leaseExpiries.incrementOrdered();
        ctx.logger().accept(owner + ": superseded by a newer incarnation of this rank, which took its steps over; " +
            "this worker stops");
        if (null != sink)
        {
            sink.finish();
        }
        else
        {
            feed.finish();
        }
    }

    /**
     * Claim a step for the consumer (an acknowledgement), or acknowledge one released unread. Unregistered, nothing
     * is sent: a claim is sent again when the worker registers again, and a step released unread is assigned again.
     */
    private void acknowledge(final StreamWork stream, final int step)
    {
        if (session.isRegistered())
        {
            acks.add(session.outbox(), session.memberId(), jobId, stream.streamId(), step);
        }
    }

    private ResumeToken checkResumeToken(final ResumeToken token, final WorkerJob started)
    {
        if (null == token)
        {
            return null;
        }
        if (!token.isOf(started))
        {
            error("resume token " + token + " is for another job or rank (dataset " + started.spec().datasetId() +
                ", seed " + started.spec().seed() + ", " + started.spec().batchSpec() + ", rank " + ctx.rank() +
                ", epoch " + token.epoch() + " planned as " + started.historyBefore(token.epoch()) +
                "): starting from the beginning");
            return null;
        }
        ctx.logger().accept(owner + ": resuming at epoch " + token.epoch() + ", step " + token.step());
        return token;
    }

    private void error(final String message)
    {
        errors.incrementOrdered();
        ctx.errorHandler().onError(new WorkerException(owner + ": " + message));
    }

    private static long tag(final StreamWork stream, final int piece)
    {
        return ((long)stream.id() << 32) | (piece & 0xFFFF_FFFFL);
    }

    private static String describe(final StreamWork stream)
    {
        return describe(stream.streamId());
    }

    private static String describe(final StreamId streamId)
    {
        return "rank " + streamId.rank() + "'s stream of epoch " + streamId.epoch() + " (segment " +
            streamId.segment() + ")";
    }

    /**
     * What the read pipeline produced: checked chunks go to the sink, in order.
     */
    private final class Reads implements ReadPipeline.Listener
    {
        @Override
        public boolean onChunkRead(final int buffer, final long tag, final int epoch, final int chunkId)
        {
            final int length = pipeline.length(buffer);
            if (!sink.offer(buffer, epoch, chunkId, length, pipeline.crc(buffer), pipeline.records(buffer)))
            {
                return false;
            }
            assembler.expect(tag);
            chunksDelivered.incrementOrdered();
            bytesDelivered.getAndAddOrdered(length);
            return true;
        }

        @Override
        public void onChunkUnavailable(final long tag, final int epoch, final int chunkId, final String message)
        {
            error(message);
            assembler.onMissing(tag, message);
        }
    }

    /**
     * What the batch stage reports: batches put in the feed, steps the consumer released, steps dropped, samples
     * missing.
     */
    private final class Releases implements BatchAssembler.Listener
    {
        @Override
        public void onStepDelivered(final Batch<?> batch)
        {
            claims.offered(batch);
            stepsDelivered.incrementOrdered();
            samplesDelivered.getAndAddOrdered(batch.size());
        }

        @Override
        public void onBatchTakenBack(final Batch<?> batch)
        {
            stepsDelivered.getAndAddOrdered(-1);
            samplesDelivered.getAndAddOrdered(-batch.size());
        }

        @Override
        public void onStepReleased(final StreamWork stream, final int step)
        {
            stream.release(step);
            resumePoint.onReleased(stream);
        }

        @Override
        public void onStepDropped(final StreamWork stream, final int step)
        {
            if (stream.drop(step))
            {
                orderWorks.addInt(stream.id());
                orderSteps.addInt(step);
            }
        }

        @Override
        public void onSamplesMissing(final StreamWork stream, final int step, final int chunkId, final String reason)
        {
            if (session.isRegistered())
            {
                publisher.chunkUnavailable(session.outbox(), session.memberId(), jobId, stream.streamId(), step,
                    chunkId, reason);
            }
        }
    }

    /**
     * The coordinator's messages.
     */
    private final class ControlMessages implements ControlListener
    {
        @Override
        public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
        {
            if (!session.onRegistered(sessionId, decoder, nowNs))
            {
                return;
            }
            ctx.registration().registered(session.registrationCorrelationId());
            final boolean again = session.registrations() > 1;
            if (!fence.onRegistered(session.handshakeStartedNs(), decoder.leaseTimeoutNs()))
            {
                error("the lease margin (" + ctx.leaseMarginNs() + " ns) is not shorter than the coordinator's " +
                    "lease (" + decoder.leaseTimeoutNs() + " ns): this worker can never hand out a batch");
            }
            if (again && null != job)
            {
                ctx.logger().accept(owner + ": registered again as member " + session.memberId() +
                    "; dropping what was not handed out yet, delivering what the coordinator assigns");
                abandonWork();
                claims.onRegisteredAgain();
            }
        }

        @Override
        public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
        {
            if (session.onChallenge(sessionId, decoder, nowNs) == SessionInitiator.ChallengeAnswer.NO_TOKEN)
            {
                error("the coordinator asks for a job token: give this worker the job's token file");
            }
        }

        @Override
        public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
        {
            if (session.onHeartbeat(sessionId, decoder, nowNs))
            {
                fence.onEcho(decoder.echoTimestampNs(), nowNs);
            }
        }

        /**
         * This worker's lease ended: the coordinator gave its work to others; the fence closes, and once registered
         * again the worker drops what it had not handed out. A data server's lease ended: its reads move to
         * replicas.
         */
        @Override
        public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
        {
            if (decoder.reason() == LeaseEnd.SUPERSEDED && session.isRegistered() &&
                decoder.memberId() == session.memberId())
            {
                retire();
            }
            else if (session.onLeaseExpired(decoder))
            {
                fence.revoke();
                leaseExpiries.incrementOrdered();
                ctx.logger().accept(owner + ": lease expired, registering again; work not yet handed out is dropped");
            }
            else
            {
                directory.remove(decoder.memberId());
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
            directory.onAdvertisement(decoder);
        }

        @Override
        public void onDatasetLayout(final int sessionId, final DatasetLayoutDecoder decoder)
        {
            try
            {
                layouts.onPart(decoder);
            }
            catch (final DatasetException ex)
            {
                refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), ex.getMessage());
            }
        }

        @Override
        public void onChunkDescriptors(final int sessionId, final ChunkDescriptorsDecoder decoder)
        {
            describe(sessionId, decoder);
        }

        @Override
        public void onJobStarted(final int sessionId, final JobStartedDecoder decoder)
        {
            startJob(sessionId, decoder);
        }

        /**
         * Take steps to deliver. The message is refused whole when it is not for this job and rank or names
         * steps the plan does not have.
         */
        @Override
        public void onAssignment(final int sessionId, final AssignmentDecoder decoder)
        {
            assign(sessionId, decoder);
        }

        /**
         * The coordinator's answer to this worker's claims: a confirmed batch goes to the consumer, a refused one is
         * dropped.
         */
        @Override
        public void onStepAckAnswer(final int sessionId, final StepAckAnswerDecoder decoder)
        {
            if (decoder.jobId() != jobId || null == pipeline)
            {
                onUnexpected(sessionId, decoder.sbeTemplateId());
                return;
            }
            claims.onAnswer(decoder);
        }

        @Override
        public void onEpochComplete(final int sessionId, final EpochCompleteDecoder decoder)
        {
            if (null == job || decoder.jobId() != jobId || decoder.epoch() < 0)
            {
                onUnexpected(sessionId, decoder.sbeTemplateId());
                return;
            }
            completeEpoch(decoder.epoch());
        }

        @Override
        public void onJobComplete(final int sessionId, final JobCompleteDecoder decoder)
        {
            if (decoder.jobId() != jobId || null == sink)
            {
                onUnexpected(sessionId, decoder.sbeTemplateId());
                return;
            }
            outcome = decoder.outcome();
            sink.finish();
        }

        @Override
        public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
        {
            final ErrorCode code = decoder.code();
            final String message = decoder.message();
            final MemberSession.ErrorSource source = session.onErrorResponse(sessionId, decoder);
            if (source == MemberSession.ErrorSource.STRANGER)
            {
                return;
            }
            if (source == MemberSession.ErrorSource.RESTARTED)
            {
                ctx.logger().accept(owner + ": the coordinator restarted: registering again");
                return;
            }
            final String report = "coordinator " + (source == MemberSession.ErrorSource.HANDSHAKE ?
                "refused registration" : "reported") + ": " + code + ": " + Quote.of(message);
            if (!report.equals(lastCoordinatorError))
            {
                lastCoordinatorError = report;
                error(report);
            }
        }

        @Override
        public void onUnexpected(final int sessionId, final int templateId)
        {
            refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "not a message a worker takes");
        }
    }
}
