package io.stoker.benchmarks;

import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.Subscription;
import io.stoker.codecs.AssignmentDecoder;
import io.stoker.codecs.ChunkDescriptorsDecoder;
import io.stoker.codecs.DatasetLayoutDecoder;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.EpochCompleteDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobCompleteDecoder;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckAnswerDecoder;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.Refusals;
import io.stoker.worker.StepAcks;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * One simulated worker of the scale simulation: a real control session with the coordinator (the handshake with
 * the job token, registration, heartbeats, sealed messages, through the worker's own {@link MemberSession},
 * {@link ControlAdapter} and {@link StepAcks}) that reads no data: it releases each assigned step at once, as a
 * consumer that takes no time would, and acknowledges as a worker does, one message per duty cycle, but only steps
 * of epochs below the simulation's gate, and nothing while its outbox is backed up (it acknowledges as fast as the
 * coordinator takes them). It counts what it receives: the job's layout and the relayed advertisements, the chunk
 * descriptors, the assignments, and all bytes of its subscription; a manifest part it refuses, as a worker does.
 * Driven by a {@link SimulatedWorkers} agent; tallies are read by other threads.
 */
final class SimulatedWorker implements ControlListener, AutoCloseable
{
    private static final int FRAGMENT_LIMIT = 64;

    private final int rank;
    private final MemberSession session;
    private final ControlAdapter adapter;
    private final Refusals refusals;
    private final StepAcks acks;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private long jobId = Aeron.NULL_VALUE;
    private long nowNs;
    private long lastPosition;
    private long lastSentNs;
    private volatile boolean silenced;
    private volatile long silentSinceNs;
    private volatile long layoutBytes;
    private volatile long descriptorBytes;
    private volatile long assignmentBytes;
    private volatile long assignedSteps;
    private volatile long foreignSteps;
    private volatile long acknowledgedSteps;
    private volatile boolean jobComplete;

    private static final class Held
    {
        final StreamId stream;
        int next;
        final int end;

        Held(final StreamId stream, final int first, final int count)
        {
            this.stream = stream;
            this.next = first;
            this.end = first + count;
        }
    }

    /**
     * Open the worker's publication and subscription: call at start-up.
     */
    SimulatedWorker(final Aeron aeron, final int rank, final JobToken token, final Refusals refusals)
    {
        this.rank = rank;
        this.refusals = refusals;
        final ControlPublisher publisher = new ControlPublisher();
        acks = new StepAcks(publisher);
        final String channel = ControlProtocol.IPC_CHANNEL;
        session = new MemberSession(aeron, publisher, channel, new HandshakeIdentity(Role.WORKER, rank,
            TransportKind.LOCAL.addTo((byte)0), ControlProtocol.responseStreamId(aeron, channel), "sim-host", channel,
            System.currentTimeMillis() << 16 | rank & 0xFFFF), token, refusals);
        adapter = new ControlAdapter(
            session.subscription(), session, refusals, ErrorResponseDecoder.TEMPLATE_ID, this);
    }

    /**
     * One duty cycle of this worker.
     *
     * @param nowNs  the cycle's time.
     * @param gate  steps of epochs below this may be acknowledged.
     * @return work done.
     */
    int doWork(final long nowNs, final int gate)
    {
        if (silenced)
        {
            if (0 == silentSinceNs)
            {
                silentSinceNs = lastSentNs;
            }
            return 0;
        }
        this.nowNs = nowNs;
        int work = session.doWork(nowNs);
        work += session.poll(adapter, FRAGMENT_LIMIT, nowNs);
        if (session.isRegistered() && jobId != Aeron.NULL_VALUE && !session.outbox().hasPending())
        {
            work += acknowledge(gate);
        }
        final long position = session.outbox().publication().position();
        if (position != lastPosition)
        {
            lastPosition = position;
            lastSentNs = nowNs;
        }
        return work;
    }

    private int acknowledge(final int gate)
    {
        int ready = 0;
        for (final Held range : held)
        {
            if (range.stream.epoch() < gate)
            {
                ready += range.end - range.next;
                if (ready >= MessageLimits.MAX_STEPS_PER_MESSAGE)
                {
                    break;
                }
            }
        }
        if (0 == ready)
        {
            return 0;
        }
        final int granted = Math.min(ready, MessageLimits.MAX_STEPS_PER_MESSAGE);
        int budget = granted;
        final Iterator<Held> it = held.iterator();
        while (budget > 0 && it.hasNext())
        {
            final Held range = it.next();
            if (range.stream.epoch() >= gate)
            {
                continue;
            }
            final int take = Math.min(budget, range.end - range.next);
            for (int i = 0; i < take; i++)
            {
                acks.add(session.outbox(), session.memberId(), jobId, range.stream, range.next++);
            }
            budget -= take;
            if (range.next == range.end)
            {
                it.remove();
            }
        }
        if (acks.flush(session.outbox(), session.memberId(), jobId))
        {
            acknowledgedSteps += granted;
            return 1;
        }
        return 0;
    }

    /**
     * Stop sending anything, heartbeats included, and stop reading, as a worker whose process died.
     */
    void silence()
    {
        silenced = true;
    }

    /**
     * @return when the silenced worker last sent a message (its death as the coordinator sees it), 0 before.
     */
    long silentSinceNs()
    {
        return silentSinceNs;
    }

    boolean isRegistered()
    {
        return session.isRegistered();
    }

    /**
     * @return true while this worker's handshake is under way: it counts against the coordinator's pending sessions.
     */
    boolean isHandshaking()
    {
        return !session.isRegistered() && !silenced;
    }

    int registrations()
    {
        return session.registrations();
    }

    int rank()
    {
        return rank;
    }

    /**
     * @return bytes of the job's layout and of the servers' advertisements received: once a job.
     */
    long layoutBytes()
    {
        return layoutBytes;
    }

    /**
     * @return bytes of chunk descriptors received.
     */
    long descriptorBytes()
    {
        return descriptorBytes;
    }

    long assignmentBytes()
    {
        return assignmentBytes;
    }

    long assignedSteps()
    {
        return assignedSteps;
    }

    /**
     * @return steps assigned of other ranks' streams: moved here from a dead rank.
     */
    long foreignSteps()
    {
        return foreignSteps;
    }

    long acknowledgedSteps()
    {
        return acknowledgedSteps;
    }

    boolean isJobComplete()
    {
        return jobComplete;
    }

    /**
     * @return every byte the coordinator's publications put in this worker's subscription: messages, seals, frame
     * headers and padding.
     */
    long receivedBytes()
    {
        final Subscription subscription = session.subscription();
        long bytes = 0;
        for (int i = 0, count = subscription.imageCount(); i < count; i++)
        {
            final Image image = subscription.imageAtIndex(i);
            bytes += image.position() - image.joinPosition();
        }
        return bytes;
    }

    @Override
    public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
    {
        session.onRegistered(sessionId, decoder, nowNs);
    }

    @Override
    public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
    {
        session.onChallenge(sessionId, decoder, nowNs);
    }

    @Override
    public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
    {
        session.onHeartbeat(sessionId, decoder, nowNs);
    }

    @Override
    public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
    {
        if (session.onLeaseExpired(decoder))
        {
            acks.clear();
            held.clear();
        }
    }

    @Override
    public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        session.onErrorResponse(sessionId, decoder);
    }

    @Override
    public void onRegionAdvertisement(
        final int sessionId,
        final RegionAdvertisementDecoder decoder,
        final DirectBuffer message,
        final int offset,
        final int length)
    {
        layoutBytes += length;
    }

    @Override
    public void onDatasetLayout(final int sessionId, final DatasetLayoutDecoder decoder)
    {
        decoder.skipDatasetId();
        decoder.skipBytes();
        layoutBytes += MessageHeaderDecoder.ENCODED_LENGTH + decoder.encodedLength();
    }

    @Override
    public void onChunkDescriptors(final int sessionId, final ChunkDescriptorsDecoder decoder)
    {
        if (decoder.jobId() != jobId)
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
            return;
        }
        for (final ChunkDescriptorsDecoder.ChunksDecoder chunk : decoder.chunks())
        {
            chunk.skipRecordLengths();
        }
        descriptorBytes += MessageHeaderDecoder.ENCODED_LENGTH + decoder.encodedLength();
    }

    @Override
    public void onJobStarted(final int sessionId, final JobStartedDecoder decoder)
    {
        jobId = decoder.jobId();
    }

    @Override
    public void onAssignment(final int sessionId, final AssignmentDecoder decoder)
    {
        if (decoder.jobId() != jobId || decoder.rank() != rank)
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
            return;
        }
        final StreamId stream = new StreamId(decoder.epoch(), decoder.segment(), decoder.stream());
        long steps = 0;
        for (final AssignmentDecoder.StepsDecoder range : decoder.steps())
        {
            held.add(new Held(stream, range.firstStep(), range.stepCount()));
            steps += range.stepCount();
        }
        assignmentBytes += MessageHeaderDecoder.ENCODED_LENGTH + decoder.encodedLength();
        assignedSteps += steps;
        if (stream.rank() != rank)
        {
            foreignSteps += steps;
        }
    }

    /**
     * The coordinator confirms each step acknowledged: this worker hands out nothing, so there is nothing to do.
     */
    @Override
    public void onStepAckAnswer(final int sessionId, final StepAckAnswerDecoder decoder)
    {
        if (decoder.jobId() != jobId)
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
        }
    }

    @Override
    public void onEpochComplete(final int sessionId, final EpochCompleteDecoder decoder)
    {
        if (decoder.jobId() != jobId)
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
        }
    }

    @Override
    public void onJobComplete(final int sessionId, final JobCompleteDecoder decoder)
    {
        if (decoder.jobId() != jobId)
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
            return;
        }
        jobComplete = true;
    }

    @Override
    public void onUnexpected(final int sessionId, final int templateId)
    {
        refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "not a message a simulated worker takes");
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(adapter, session);
    }
}
