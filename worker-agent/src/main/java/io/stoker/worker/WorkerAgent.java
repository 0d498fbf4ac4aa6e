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
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.dataset.Crc32c;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.Manifest;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.ManifestAssembler;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.SessionInitiator;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.IntArrayQueue;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A worker's duty cycle: take assignments from the coordinator, keep the buffer pool busy with reads
 * from the data servers, check every chunk's CRC32C, hand chunks to the sink in assignment order,
 * and acknowledge them once the consumer released them.
 * <p>
 * Each read takes one pool buffer; a chunk whose read fails or whose checksum does not match is read
 * again, from the next server that holds it, up to {@link WorkerContext#maxReadAttempts()} times,
 * then reported unavailable. A chunk assigned twice is delivered once.
 *
 * @param <C> the kind of chunk the consumer receives.
 */
public final class WorkerAgent<C extends Chunk>
    implements Agent, ControlListener, ReadCompletionHandler, ChunkSink.SinkListener
{
    private static final int FRAGMENT_LIMIT = 16;
    private static final int MANIFESTS_IN_PROGRESS = 2;
    private static final long MAX_REGION_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int MAX_REGION_BACKOFF_SHIFT = 7;
    private static final int EMPTY = -2;
    private static final int SKIPPED = -1;

    private static final byte FREE = 0;
    private static final byte READING = 1;
    private static final byte RETRY = 2;
    private static final byte READY = 3;
    private static final byte WITH_SINK = 4;
    private static final byte ABANDONED = 5;

    private final WorkerContext<C> ctx;
    private final String owner;
    private final ControlPublisher publisher = new ControlPublisher();
    private final MemberSession session;
    private final ControlAdapter adapter;
    private final StatusCounters counters;
    private final Refusals refusals;
    private final AtomicCounter[] bytesRead = new AtomicCounter[TransportKind.values().length];
    private final AtomicCounter[] chunksRead = new AtomicCounter[TransportKind.values().length];
    private final AtomicCounter chunksDelivered;
    private final AtomicCounter bytesDelivered;
    private final AtomicCounter readsInFlight;
    private final AtomicCounter readRetries;
    private final AtomicCounter readFailures;
    private final AtomicCounter checksumFailures;
    private final AtomicCounter duplicatesDropped;
    private final AtomicCounter chunksUnavailable;
    private final AtomicCounter leaseExpiries;
    private final AtomicCounter errors;
    private final ServerDirectory directory;
    private final EpochLedger ledger = new EpochLedger();
    private final ManifestAssembler manifests = new ManifestAssembler(MANIFESTS_IN_PROGRESS);
    private final int[] assignedChunks = new int[MessageLimits.MAX_CHUNKS_PER_MESSAGE];
    private final AckBatcher acks = new AckBatcher(publisher);
    private final Crc32c crc32c = new Crc32c();
    private final ChunkFeed<C> feed;
    private final IntArrayQueue pendingEpochs = new IntArrayQueue(1024, -1);
    private final IntArrayQueue pendingChunks = new IntArrayQueue(1024, -1);
    private final IntArrayQueue retrySlots;

    private final int[] windowSlots;
    private final int windowMask;
    private long nextSequence;
    private long deliverSequence;

    private final byte[] slotState;
    private final int[] slotEpoch;
    private final int[] slotChunk;
    private final int[] slotAttempts;
    private final int[] slotGeneration;
    private final long[] slotSequence;
    private final long[] slotNotBeforeNs;
    private final long[] slotRegionDeadlineNs;
    private final int[] slotRegionWaits;
    private final DataReader[] slotReader;
    private final String[] slotFailure;

    private BufferPool pool;
    private ChunkSink sink;
    private volatile Manifest manifest;
    private long jobId = -1;
    private volatile long seed;
    private int worldSize;
    private ResumeToken resumeFrom;
    private ResumePoint resumePoint = new ResumePoint(0);
    private volatile int epochsCompleted;
    private volatile JobOutcome outcome;
    private long nowNs;
    private String lastCoordinatorError;

    /**
     * Connect to the coordinator and allocate counters: call at start-up. The buffer pool is allocated
     * when the job starts, sized for the dataset's largest chunk.
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
            CounterType.CHUNKS_DELIVERED, CounterType.BYTES_DELIVERED, CounterType.READS_IN_FLIGHT,
            CounterType.READ_RETRIES, CounterType.READ_FAILURES, CounterType.CHECKSUM_FAILURES,
            CounterType.DUPLICATES_DROPPED, CounterType.CONSUMER_WAIT_NS, CounterType.CHUNKS_UNAVAILABLE,
            CounterType.LEASE_EXPIRIES, CounterType.INVALID_MESSAGES, CounterType.ERRORS, CounterType.AGENT_ERRORS);
        bytesRead[TransportKind.LOCAL.ordinal()] = counters.get(CounterType.BYTES_READ_LOCAL);
        bytesRead[TransportKind.RDMA.ordinal()] = counters.get(CounterType.BYTES_READ_RDMA);
        bytesRead[TransportKind.UDP.ordinal()] = counters.get(CounterType.BYTES_READ_UDP);
        chunksRead[TransportKind.LOCAL.ordinal()] = counters.get(CounterType.CHUNKS_READ_LOCAL);
        chunksRead[TransportKind.RDMA.ordinal()] = counters.get(CounterType.CHUNKS_READ_RDMA);
        chunksRead[TransportKind.UDP.ordinal()] = counters.get(CounterType.CHUNKS_READ_UDP);
        chunksDelivered = counters.get(CounterType.CHUNKS_DELIVERED);
        bytesDelivered = counters.get(CounterType.BYTES_DELIVERED);
        readsInFlight = counters.get(CounterType.READS_IN_FLIGHT);
        readRetries = counters.get(CounterType.READ_RETRIES);
        readFailures = counters.get(CounterType.READ_FAILURES);
        checksumFailures = counters.get(CounterType.CHECKSUM_FAILURES);
        duplicatesDropped = counters.get(CounterType.DUPLICATES_DROPPED);
        chunksUnavailable = counters.get(CounterType.CHUNKS_UNAVAILABLE);
        leaseExpiries = counters.get(CounterType.LEASE_EXPIRIES);
        errors = counters.get(CounterType.ERRORS);
        refusals = new Refusals(owner, counters.get(CounterType.INVALID_MESSAGES), ctx.errorHandler(), ctx.nanoClock());

        ctx.counters(counters);
        final List<DataTransport> transports = new ArrayList<>();
        ctx.transportFactories().forEach(factory -> transports.add(factory.apply(ctx)));
        byte transportSet = 0;
        for (final DataTransport transport : transports)
        {
            transportSet = transport.kind().addTo(transportSet);
        }
        directory = new ServerDirectory(transports, ctx.forcedTransport(), ctx.logger(), owner, this::onReaderClosed);

        final int buffers = ctx.bufferCount();
        feed = new ChunkFeed<>(buffers, counters.get(CounterType.CONSUMER_WAIT_NS));
        retrySlots = new IntArrayQueue(buffers * 4, -1);
        final int windowLength = BitUtil.findNextPositivePowerOfTwo(buffers * 2);
        windowSlots = new int[windowLength];
        java.util.Arrays.fill(windowSlots, EMPTY);
        windowMask = windowLength - 1;
        slotState = new byte[buffers];
        slotEpoch = new int[buffers];
        slotChunk = new int[buffers];
        slotAttempts = new int[buffers];
        slotGeneration = new int[buffers];
        slotSequence = new long[buffers];
        slotNotBeforeNs = new long[buffers];
        slotRegionDeadlineNs = new long[buffers];
        slotRegionWaits = new int[buffers];
        slotReader = new DataReader[buffers];
        slotFailure = new String[buffers];

        session = new MemberSession(ctx.aeron(), publisher, ctx.coordinatorChannel(), new HandshakeIdentity(
            Role.WORKER, ctx.rank(), transportSet, ctx.responseStreamId(), ctx.hostId(), ctx.responseChannel()),
            ctx.jobToken(), refusals);
        adapter = new ControlAdapter(
            session.subscription(), session, refusals, ErrorResponseDecoder.TEMPLATE_ID, this);
    }

    @Override
    public String roleName()
    {
        return "stoker-worker-" + ctx.rank();
    }

    /**
     * @return the consumer's end: chunks in assignment order.
     */
    public ChunkFeed<C> feed()
    {
        return feed;
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
     * Where this rank's consumer is: pass it to {@link WorkerContext#resumeFrom(ResumeToken)} of a
     * worker that takes over after a restart. Safe to call from the consumer's thread.
     *
     * @return the token, or null before the job started.
     */
    public ResumeToken resumeToken()
    {
        final Manifest manifest = this.manifest;
        return null == manifest ? null : new ResumeToken(
            manifest.datasetId(), seed, worldSize, ctx.rank(), resumePoint.epoch(), resumePoint.position());
    }

    /**
     * @return how the job ended, or null while it runs.
     */
    public JobOutcome outcome()
    {
        return outcome;
    }

    @Override
    public int doWork()
    {
        nowNs = ctx.nanoClock().nanoTime();
        int work = session.doWork(nowNs);
        work += session.poll(adapter, FRAGMENT_LIMIT, nowNs);
        if (null != sink)
        {
            // Buffers come back first and reads go out before completions are polled: a read a local
            // reader completes in this very cycle lands in the buffer the consumer gave back last.
            work += sink.doWork(this);
            work += issueReads();
            work += directory.poll(this);
            work += deliverInOrder();
            readsInFlight.setOrdered(directory.inFlight());
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
        CloseHelper.closeAll(directory, sink, pool, adapter, session, counters);
    }

    @Override
    public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
    {
        if (session.onRegistered(sessionId, decoder, nowNs) && session.registrations() > 1 && null != manifest)
        {
            reacknowledge();
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
        session.onHeartbeat(sessionId, decoder, nowNs);
    }

    /**
     * This worker's lease ended: the coordinator gave its work to others. A data server's lease ended:
     * its reads move to replicas.
     */
    @Override
    public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
    {
        if (session.onLeaseExpired(decoder))
        {
            leaseExpiries.incrementOrdered();
            ctx.logger().accept(owner + ": lease expired, abandoning work the coordinator handed to others");
            abandonWork();
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
    public void onManifestPart(
        final int sessionId,
        final ManifestPartDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        try
        {
            manifests.onPart(decoder);
        }
        catch (final DatasetException ex)
        {
            refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(), ex.getMessage());
        }
    }

    @Override
    public void onJobStarted(final int sessionId, final JobStartedDecoder decoder)
    {
        final long startedJobId = decoder.jobId();
        final int startedWorldSize = decoder.worldSize();
        final long startedSeed = decoder.seed();
        final String datasetId = decoder.datasetId();
        if (startedJobId == jobId)
        {
            return;
        }
        if (-1 != jobId)
        {
            error("job " + startedJobId + " started while job " + jobId + " runs: a worker serves one job");
            return;
        }
        if (startedWorldSize <= ctx.rank())
        {
            refusals.refuse(sessionId, ErrorCode.JOB_REJECTED, decoder.sbeTemplateId(),
                "job " + startedJobId + " has world size " + startedWorldSize + ", which has no rank " + ctx.rank());
            return;
        }

        final Manifest jobManifest = manifests.manifest(datasetId);
        if (null == jobManifest)
        {
            error("job " + startedJobId + " started before the manifest of dataset " + Quote.of(datasetId) +
                " arrived");
            return;
        }
        manifest = jobManifest;
        jobId = startedJobId;
        seed = startedSeed;
        worldSize = startedWorldSize;
        resumeFrom = checkResumeToken(ctx.resumeFrom());
        resumePoint = new ResumePoint(null != resumeFrom ? resumeFrom.epoch() : 0);
        ledger.reset(manifest.chunkCount());
        pool = new BufferPool(ctx.bufferCount(), manifest.maxChunkLength(), ctx.sinkFactory().allocator());
        sink = ctx.sinkFactory().newSink(pool, feed);
        directory.bind(pool.memory(), datasetId);
    }

    /**
     * Take chunks to read. The message is refused whole when it is not for this job and rank or names
     * a chunk the manifest does not have.
     */
    @Override
    public void onAssignment(final int sessionId, final AssignmentDecoder decoder)
    {
        final long assignedJobId = decoder.jobId();
        final int epoch = decoder.epoch();
        final int rank = decoder.rank();
        final int firstPosition = decoder.firstPosition();
        if (assignedJobId != jobId || rank != ctx.rank() || epoch < 0 || firstPosition < -1)
        {
            refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(),
                "assignment for job " + assignedJobId + " rank " + rank + " epoch " + epoch + " position " +
                firstPosition + " does not fit job " + jobId + " rank " + ctx.rank());
            return;
        }
        int count = 0;
        for (final AssignmentDecoder.ChunksDecoder chunk : decoder.chunks())
        {
            final int chunkId = chunk.chunkId();
            if (chunkId < 0 || chunkId >= manifest.chunkCount())
            {
                refusals.refuse(sessionId, ErrorCode.MALFORMED_MESSAGE, decoder.sbeTemplateId(),
                    "assignment names chunk " + chunkId + ", the manifest has " + manifest.chunkCount());
                return;
            }
            assignedChunks[count++] = chunkId;
        }

        int position = firstPosition;
        for (int i = 0; i < count; i++)
        {
            final int chunkId = assignedChunks[i];
            if (firstPosition >= 0)
            {
                resumePoint.plan(epoch, chunkId, position);
                if (null != resumeFrom &&
                    (epoch < resumeFrom.epoch() || (epoch == resumeFrom.epoch() && position < resumeFrom.position())))
                {
                    onConsumed(epoch, chunkId, manifest.chunkCrc(chunkId));
                    position++;
                    continue;
                }
                position++;
            }
            pendingEpochs.addInt(epoch);
            pendingChunks.addInt(chunkId);
        }
    }

    @Override
    public void onEpochComplete(final int sessionId, final EpochCompleteDecoder decoder)
    {
        if (decoder.jobId() != jobId || decoder.epoch() < 0)
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
            return;
        }
        ledger.close(decoder.epoch());
        resumePoint.complete(decoder.epoch());
        epochsCompleted++;
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

    @Override
    public void onReadComplete(final long readId)
    {
        final int slot = slotOf(readId);
        if (slot < 0)
        {
            return;
        }
        if (slotState[slot] == ABANDONED)
        {
            freeSlot(slot);
            return;
        }

        final int chunkId = slotChunk[slot];
        final int length = manifest.chunkLength(chunkId);
        final int kind = slotReader[slot].kind().ordinal();
        bytesRead[kind].getAndAddOrdered(length);
        chunksRead[kind].incrementOrdered();
        final int crc = crc32c.compute(pool.byteBuffer(slot), 0, length);
        if (crc == manifest.chunkCrc(chunkId))
        {
            slotState[slot] = READY;
        }
        else
        {
            checksumFailures.incrementOrdered();
            retry(slot, "CRC32C " + Integer.toHexString(crc) + " != manifest's " +
                Integer.toHexString(manifest.chunkCrc(chunkId)) + " over " + slotReader[slot].kind().label());
        }
    }

    @Override
    public void onReadFailed(final long readId, final String reason)
    {
        final int slot = slotOf(readId);
        if (slot < 0)
        {
            return;
        }
        if (slotState[slot] == ABANDONED)
        {
            freeSlot(slot);
            return;
        }
        readFailures.incrementOrdered();
        retry(slot, reason);
    }

    @Override
    public void onBufferFree(final int buffer)
    {
        freeSlot(buffer);
    }

    @Override
    public void onConsumed(final int epoch, final int chunkId, final int crc)
    {
        ledger.release(epoch, chunkId);
        resumePoint.release(epoch, chunkId);
        acknowledge(epoch, chunkId, crc);
    }

    /**
     * Unregistered, nothing is sent: the chunk is in the ledger as released, and a worker acknowledges
     * every released chunk of the open epochs again when it registers.
     */
    private void acknowledge(final int epoch, final int chunkId, final int crc)
    {
        if (session.isRegistered())
        {
            acks.add(session.outbox(), session.memberId(), jobId, epoch, chunkId, crc);
        }
    }

    private void onReaderClosed(final DataReader reader)
    {
        for (int slot = 0; slot < slotState.length; slot++)
        {
            if (slotReader[slot] == reader && (slotState[slot] == READING || slotState[slot] == ABANDONED))
            {
                slotGeneration[slot]++;
                if (slotState[slot] == ABANDONED)
                {
                    freeSlot(slot);
                }
                else
                {
                    readFailures.incrementOrdered();
                    retry(slot, "data server went away during the read");
                }
            }
        }
    }

    private int issueReads()
    {
        int work = 0;
        for (int waiting = retrySlots.size(); waiting > 0; waiting--)
        {
            final int slot = retrySlots.pollInt();
            if (slotState[slot] != RETRY)
            {
                continue;
            }
            if (nowNs - slotNotBeforeNs[slot] < 0)
            {
                retrySlots.addInt(slot);
                continue;
            }
            if (!dispatch(slot))
            {
                retrySlots.addInt(slot);
                return work;
            }
            work++;
        }

        while (!pendingChunks.isEmpty() && nextSequence - deliverSequence < windowSlots.length && pool.available() > 0)
        {
            final int epoch = pendingEpochs.peekInt();
            final int chunkId = pendingChunks.peekInt();
            if (ledger.isClosed(epoch))
            {
                pendingEpochs.pollInt();
                pendingChunks.pollInt();
                duplicatesDropped.incrementOrdered();
                continue;
            }
            if (ledger.isTaken(epoch, chunkId) || ledger.isReleased(epoch, chunkId))
            {
                pendingEpochs.pollInt();
                pendingChunks.pollInt();
                duplicatesDropped.incrementOrdered();
                if (ledger.isReleased(epoch, chunkId))
                {
                    acknowledge(epoch, chunkId, manifest.chunkCrc(chunkId));
                }
                continue;
            }

            final int slot = pool.claim();
            pendingEpochs.pollInt();
            pendingChunks.pollInt();
            ledger.take(epoch, chunkId);
            slotEpoch[slot] = epoch;
            slotChunk[slot] = chunkId;
            slotAttempts[slot] = 0;
            slotFailure[slot] = null;
            slotNotBeforeNs[slot] = 0;
            slotRegionDeadlineNs[slot] = 0;
            slotRegionWaits[slot] = 0;
            slotSequence[slot] = nextSequence;
            windowSlots[(int)(nextSequence++ & windowMask)] = slot;
            work++;
            if (!dispatch(slot))
            {
                slotState[slot] = RETRY;
                retrySlots.addInt(slot);
                break;
            }
        }
        return work;
    }

    /**
     * Submit the slot's read to the next server that holds its chunk.
     *
     * @return false when the reader pushed back: try again on a later cycle.
     */
    private boolean dispatch(final int slot)
    {
        final int chunkId = slotChunk[slot];
        final int regionId = manifest.chunkShard(chunkId);
        final DataReader reader = directory.readerFor(regionId, chunkId, slotAttempts[slot]);
        if (null == reader)
        {
            awaitRegion(slot, regionId);
            return true;
        }
        final long readId = ((long)(++slotGeneration[slot]) << 32) | slot;
        if (!reader.read(readId, regionId, manifest.chunkOffset(chunkId), manifest.chunkLength(chunkId),
            pool.buffer(slot), 0))
        {
            return false;
        }
        slotReader[slot] = reader;
        slotState[slot] = READING;
        return true;
    }

    /**
     * No known server exports the slot's region (yet): try again after a back-off (1 ms doubling to
     * {@link #MAX_REGION_BACKOFF_NS}) until the region wait is over; only then does it count as a failed attempt.
     */
    private void awaitRegion(final int slot, final int regionId)
    {
        if (0 == slotRegionDeadlineNs[slot])
        {
            slotRegionDeadlineNs[slot] = nowNs + ctx.regionWaitNs();
        }
        if (nowNs - slotRegionDeadlineNs[slot] >= 0)
        {
            slotRegionDeadlineNs[slot] = 0;
            retry(slot, "no live data server exported region " + regionId + " within " +
                TimeUnit.NANOSECONDS.toMillis(ctx.regionWaitNs()) + " ms");
            return;
        }
        final int waits = Math.min(slotRegionWaits[slot]++, MAX_REGION_BACKOFF_SHIFT);
        slotNotBeforeNs[slot] = nowNs + Math.min(MAX_REGION_BACKOFF_NS, TimeUnit.MILLISECONDS.toNanos(1) << waits);
        slotState[slot] = RETRY;
        retrySlots.addInt(slot);
    }

    private void retry(final int slot, final String reason)
    {
        slotFailure[slot] = reason;
        if (++slotAttempts[slot] < ctx.maxReadAttempts())
        {
            readRetries.incrementOrdered();
            slotState[slot] = RETRY;
            retrySlots.addInt(slot);
            return;
        }

        final int epoch = slotEpoch[slot];
        final int chunkId = slotChunk[slot];
        final String message = "chunk " + chunkId + " (" + manifest.shardPath(manifest.chunkShard(chunkId)) +
            " at " + manifest.chunkOffset(chunkId) + ") failed " + slotAttempts[slot] + " reads, last: " + reason;
        chunksUnavailable.incrementOrdered();
        error(message);
        if (session.isRegistered())
        {
            publisher.chunkUnavailable(session.outbox(), session.memberId(), jobId, epoch, chunkId, message);
        }
        ledger.drop(epoch, chunkId);
        windowSlots[(int)(slotSequence[slot] & windowMask)] = SKIPPED;
        freeSlot(slot);
    }

    private int deliverInOrder()
    {
        int work = 0;
        while (deliverSequence < nextSequence)
        {
            final int index = (int)(deliverSequence & windowMask);
            final int slot = windowSlots[index];
            if (SKIPPED != slot)
            {
                if (slotState[slot] != READY)
                {
                    break;
                }
                final int chunkId = slotChunk[slot];
                final int length = manifest.chunkLength(chunkId);
                if (!sink.offer(slot, slotEpoch[slot], chunkId, length, manifest.chunkCrc(chunkId), manifest))
                {
                    break;
                }
                slotState[slot] = WITH_SINK;
                chunksDelivered.incrementOrdered();
                bytesDelivered.getAndAddOrdered(length);
            }
            windowSlots[index] = EMPTY;
            deliverSequence++;
            work++;
        }
        return work;
    }

    /**
     * Drop every chunk not yet with the consumer: after a lease expiry the coordinator gave them to other ranks.
     */
    private void abandonWork()
    {
        pendingEpochs.clear();
        pendingChunks.clear();
        retrySlots.clear();
        acks.clear();
        for (long sequence = deliverSequence; sequence < nextSequence; sequence++)
        {
            final int index = (int)(sequence & windowMask);
            final int slot = windowSlots[index];
            if (slot >= 0)
            {
                ledger.drop(slotEpoch[slot], slotChunk[slot]);
                if (slotState[slot] == READING)
                {
                    slotState[slot] = ABANDONED;
                }
                else
                {
                    freeSlot(slot);
                }
            }
            windowSlots[index] = SKIPPED;
        }
    }

    /**
     * After re-registering with a coordinator that may have lost acknowledgements, acknowledge again
     * what the consumer released in the epochs still open.
     */
    private void reacknowledge()
    {
        ledger.releasedByEpoch().forEach((epoch, released) ->
        {
            for (int chunkId = released.nextSetBit(0); chunkId >= 0; chunkId = released.nextSetBit(chunkId + 1))
            {
                acknowledge(epoch, chunkId, manifest.chunkCrc(chunkId));
            }
        });
    }

    private ResumeToken checkResumeToken(final ResumeToken token)
    {
        if (null == token)
        {
            return null;
        }
        if (!token.datasetId().equals(manifest.datasetId()) || token.seed() != seed ||
            token.worldSize() != worldSize || token.rank() != ctx.rank())
        {
            error("resume token " + token + " is for another job (dataset " + manifest.datasetId() + ", seed " + seed +
                ", world size " + worldSize + ", rank " + ctx.rank() + "): starting from the beginning");
            return null;
        }
        ctx.logger().accept(owner + ": resuming at epoch " + token.epoch() + ", position " + token.position());
        return token;
    }

    private int slotOf(final long readId)
    {
        final int slot = (int)readId;
        if (slot < 0 || slot >= slotState.length || slotGeneration[slot] != (int)(readId >>> 32))
        {
            error("completion for unknown read " + Long.toHexString(readId));
            return -1;
        }
        return slot;
    }

    private void freeSlot(final int slot)
    {
        slotState[slot] = FREE;
        slotReader[slot] = null;
        pool.release(slot);
    }

    private void error(final String message)
    {
        errors.incrementOrdered();
        ctx.errorHandler().onError(new WorkerException(owner + ": " + message));
    }

    /**
     * @return the job's manifest, or null before the job started.
     */
    public Manifest manifest()
    {
        return manifest;
    }

    /**
     * @return the job's seed.
     */
    public long seed()
    {
        return seed;
    }

    /**
     * @return epochs the coordinator reported complete.
     */
    public int epochsCompleted()
    {
        return epochsCompleted;
    }
}
