package io.stoker.launcher.cluster;

import io.stoker.codecs.AssignmentDecoder;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ChunkDescriptorsDecoder;
import io.stoker.codecs.EpochCompleteDecoder;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobCompleteDecoder;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.DatasetLayoutDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckAnswerDecoder;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * A member the test runs in its own JVM with Stoker's own session classes: it holds the job token and
 * is admitted like any other, then does what the test tells it on its duty cycle, e.g. acknowledge
 * chunks it was never given. It records what the coordinator sends it.
 */
final class FakeMember implements ControlListener, Agent, AutoCloseable
{
    private final AeronConnector connector = AeronConnector.connect(new AeronConnector.Context());
    private final ControlPublisher publisher = new ControlPublisher();
    private final MemberSession session;
    private final ControlAdapter adapter;
    private final ConcurrentLinkedQueue<Consumer<FakeMember>> actions = new ConcurrentLinkedQueue<>();
    private final Map<StreamId, List<Integer>> assigned = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();
    private final AgentRunner runner;
    private volatile long jobId = -1;
    private volatile int dataMessages;

    /**
     * Start the member on a thread of its own.
     */
    FakeMember(final String coordinatorEndpoint, final Role role, final int rank, final JobToken token)
    {
        final String listen = ControlProtocol.udpChannel(StokerProcesses.endpoint());
        final Refusals refusals = new Refusals("fake member", new CountersManager(
            new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[8 * 1024])).newCounter("invalid"),
            ex -> record("refused: " + ex.getMessage()), SystemNanoClock.INSTANCE);
        session = new MemberSession(connector.aeron(), publisher, ControlProtocol.udpChannel(coordinatorEndpoint),
            new HandshakeIdentity(role, rank, (byte)0, ControlProtocol.MEMBER_STREAM_ID, "fake-host", listen), token,
            refusals);
        adapter = new ControlAdapter(session.subscription(), session, refusals, ErrorResponseDecoder.TEMPLATE_ID, this);
        runner = new AgentRunner(new BackoffIdleStrategy(), Throwable::printStackTrace, null, this);
        AgentRunner.startOnThread(runner);
    }

    /**
     * Do something on the member's duty cycle, with its session.
     */
    void act(final Consumer<FakeMember> action)
    {
        actions.add(action);
    }

    /**
     * Acknowledge steps of a stream, as a worker does. Call from {@link #act}.
     */
    void acknowledge(final long job, final StreamId stream, final int... steps)
    {
        publisher.stepAck(session.outbox(), session.memberId(), job, stream, steps, steps.length);
    }

    boolean isRegistered()
    {
        return session.isRegistered();
    }

    long jobId()
    {
        return jobId;
    }

    /**
     * @return the steps assigned to it, by stream, in the order they came.
     */
    synchronized Map<StreamId, List<Integer>> assigned()
    {
        final Map<StreamId, List<Integer>> copy = new LinkedHashMap<>();
        assigned.forEach((stream, steps) -> copy.put(stream, List.copyOf(steps)));
        return copy;
    }

    /**
     * @return the error responses and refusals it saw.
     */
    synchronized List<String> errors()
    {
        return List.copyOf(errors);
    }

    /**
     * @return layout parts, chunk descriptors and advertisements it received.
     */
    int dataMessages()
    {
        return dataMessages;
    }

    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        int work = session.doWork(nowNs) + session.poll(adapter, 16, nowNs);
        Consumer<FakeMember> action;
        while (session.isRegistered() && null != (action = actions.poll()))
        {
            action.accept(this);
            work++;
        }
        return work;
    }

    @Override
    public String roleName()
    {
        return "fake-member";
    }

    @Override
    public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
    {
        session.onRegistered(sessionId, decoder, System.nanoTime());
    }

    @Override
    public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
    {
        session.onChallenge(sessionId, decoder, System.nanoTime());
    }

    @Override
    public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
    {
        session.onHeartbeat(sessionId, decoder, System.nanoTime());
    }

    @Override
    public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
    {
        session.onLeaseExpired(decoder);
    }

    @Override
    public void onJobStarted(final int sessionId, final JobStartedDecoder decoder)
    {
        jobId = decoder.jobId();
    }

    @Override
    public synchronized void onAssignment(final int sessionId, final AssignmentDecoder decoder)
    {
        final List<Integer> steps = assigned.computeIfAbsent(
            new StreamId(decoder.epoch(), decoder.segment(), decoder.stream()), stream -> new ArrayList<>());
        for (final AssignmentDecoder.StepsDecoder range : decoder.steps())
        {
            for (int step = range.firstStep(); step < range.firstStep() + range.stepCount(); step++)
            {
                steps.add(step);
            }
        }
    }

    @Override
    public void onStepAckAnswer(final int sessionId, final StepAckAnswerDecoder decoder)
    {
    }

    @Override
    public void onEpochComplete(final int sessionId, final EpochCompleteDecoder decoder)
    {
    }

    @Override
    public void onJobComplete(final int sessionId, final JobCompleteDecoder decoder)
    {
    }

    @Override
    public void onRegionAdvertisement(
        final int sessionId, final RegionAdvertisementDecoder decoder, final DirectBuffer message, final int offset,
        final int length)
    {
        dataMessages++;
    }

    @Override
    public void onDatasetLayout(final int sessionId, final DatasetLayoutDecoder decoder)
    {
        dataMessages++;
    }

    @Override
    public void onChunkDescriptors(final int sessionId, final ChunkDescriptorsDecoder decoder)
    {
        dataMessages++;
    }

    @Override
    public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        record(decoder.code() + ": " + decoder.message());
    }

    @Override
    public void onUnexpected(final int sessionId, final int templateId)
    {
        record("unexpected template " + templateId);
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(runner, adapter, session, connector);
    }

    private synchronized void record(final String error)
    {
        errors.add(error);
    }
}
