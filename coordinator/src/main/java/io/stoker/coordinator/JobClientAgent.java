package io.stoker.coordinator;

import io.aeron.Aeron;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.EpochCompleteDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobCompleteDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.plan.JobSpec;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import io.stoker.transport.wire.Quote;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Submits one job to a coordinator and follows it to the end: what {@code stoker local} and
 * {@code stoker submit} run. The job's state is readable from any thread.
 */
public final class JobClientAgent implements Agent, ControlListener
{
    private static final int FRAGMENT_LIMIT = 16;

    private final Aeron aeron;
    private final ControlPublisher publisher = new ControlPublisher();
    private final MemberSession session;
    private final ControlAdapter adapter;
    private final StatusCounters counters;
    private final Refusals refusals;
    private final NanoClock clock = SystemNanoClock.INSTANCE;
    private final JobSpec request;
    private final List<EpochResult> epochs = Collections.synchronizedList(new ArrayList<>());
    private long submitCorrelationId = Aeron.NULL_VALUE;
    private volatile long jobId = Aeron.NULL_VALUE;
    private volatile long totalBytes;
    private volatile int chunkCount;
    private volatile JobOutcome outcome;
    private volatile String failure;

    /**
     * @param aeron              connected client.
     * @param coordinatorChannel where the coordinator listens.
     * @param responseChannel    where this client listens: {@code aeron:ipc} on the coordinator's host.
     * @param token              the job token, or null when the coordinator asks for none.
     * @param jobName            the job's name ({@link io.stoker.transport.wire.JobNames}): the job this client's
     *                           session belongs to, which it submits; "" for the default job.
     * @param request            the job.
     * @param errorHandler       told of messages refused, at a bounded rate.
     */
    public JobClientAgent(
        final Aeron aeron,
        final String coordinatorChannel,
        final String responseChannel,
        final JobToken token,
        final String jobName,
        final JobSpec request,
        final ErrorHandler errorHandler)
    {
        this.aeron = aeron;
        this.request = request;
        counters = new StatusCounters(aeron, "client", CounterType.INVALID_MESSAGES, CounterType.AGENT_ERRORS);
        refusals = new Refusals("client", counters.get(CounterType.INVALID_MESSAGES), errorHandler, clock);
        session = new MemberSession(aeron, publisher, coordinatorChannel, new HandshakeIdentity(Role.CLIENT, -1,
            (byte)0, ControlProtocol.responseStreamId(aeron, responseChannel), "client", responseChannel)
            .forJob(jobName), token, refusals);
        adapter = new ControlAdapter(
            session.subscription(), session, refusals, ErrorResponseDecoder.TEMPLATE_ID, this);
    }

    @Override
    public String roleName()
    {
        return "stoker-job-client";
    }

    @Override
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        int work = session.doWork(nowNs);
        work += session.poll(adapter, FRAGMENT_LIMIT, nowNs);
        if (session.isRegistered() && Aeron.NULL_VALUE == submitCorrelationId)
        {
            submitCorrelationId = aeron.nextCorrelationId();
            publisher.jobSubmit(session.outbox(), submitCorrelationId, request);
            work++;
        }
        return work;
    }

    @Override
    public void onClose()
    {
        CloseHelper.closeAll(adapter, session, counters);
    }

    /**
     * @return the counters this client keeps.
     */
    public StatusCounters counters()
    {
        return counters;
    }

    /**
     * Submit on every registration: after a coordinator restart the same submission attaches this
     * client to the job the coordinator resumed.
     */
    @Override
    public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
    {
        if (session.onRegistered(sessionId, decoder, clock.nanoTime()))
        {
            submitCorrelationId = Aeron.NULL_VALUE;
        }
    }

    @Override
    public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
    {
        switch (session.onChallenge(sessionId, decoder, clock.nanoTime()))
        {
            case NO_TOKEN -> failure = "the coordinator asks for a job token: pass --job-token-file";
            case VERIFIER_NOT_PROVEN -> failure = "the coordinator did not prove the job token: the token files " +
                "differ, or it is not the job's coordinator";
            default ->
            {
            }
        }
    }

    @Override
    public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
    {
        session.onHeartbeat(sessionId, decoder, clock.nanoTime());
    }

    @Override
    public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
    {
        if (!session.onLeaseExpired(decoder))
        {
            onUnexpected(sessionId, decoder.sbeTemplateId());
        }
    }

    @Override
    public void onJobStarted(final int sessionId, final JobStartedDecoder decoder)
    {
        if (decoder.correlationId() == submitCorrelationId && (Aeron.NULL_VALUE == jobId || decoder.jobId() == jobId))
        {
            chunkCount = decoder.chunkCount();
            totalBytes = decoder.totalBytes();
            jobId = decoder.jobId();
        }
    }

    @Override
    public void onEpochComplete(final int sessionId, final EpochCompleteDecoder decoder)
    {
        if (decoder.jobId() != jobId)
        {
            return;
        }
        final int epoch = decoder.epoch();
        final long delivered = decoder.deliveredSamples();
        final long dropped = decoder.droppedSamples();
        final int steps = decoder.steps();
        if (epochs().stream().anyMatch(result -> result.epoch() == epoch))
        {
            return;
        }
        final List<Integer> missing = new ArrayList<>();
        for (final EpochCompleteDecoder.MissingDecoder chunk : decoder.missing())
        {
            missing.add(chunk.chunkId());
        }
        epochs.add(new EpochResult(epoch, delivered, dropped, steps, List.copyOf(missing)));
    }

    @Override
    public void onJobComplete(final int sessionId, final JobCompleteDecoder decoder)
    {
        if (decoder.jobId() == jobId)
        {
            outcome = decoder.outcome();
        }
    }

    /**
     * A refusal of the submission or of the registration ends the client; a coordinator too busy to
     * take the handshake now is asked again.
     */
    @Override
    public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
    {
        final long correlationId = decoder.correlationId();
        final ErrorCode code = decoder.code();
        final String message = decoder.message();
        switch (session.onErrorResponse(sessionId, decoder))
        {
            case HANDSHAKE ->
            {
                if (code != ErrorCode.BUSY)
                {
                    failure = code + ": " + Quote.of(message);
                }
            }
            case COORDINATOR ->
            {
                if (correlationId == submitCorrelationId)
                {
                    failure = code + ": " + Quote.of(message);
                }
                else
                {
                    refusals.report("the coordinator reported " + code + ": " + Quote.of(message));
                }
            }
            default ->
            {
            }
        }
    }

    @Override
    public void onUnexpected(final int sessionId, final int templateId)
    {
        refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "not a message a client takes");
    }

    /**
     * @return the job's id once started, else {@link Aeron#NULL_VALUE}.
     */
    public long jobId()
    {
        return jobId;
    }

    public boolean isStarted()
    {
        return Aeron.NULL_VALUE != jobId;
    }

    /**
     * @return how the job ended, or null while it runs.
     */
    public JobOutcome outcome()
    {
        return outcome;
    }

    /**
     * @return why the coordinator refused the job, or null.
     */
    public String failure()
    {
        return failure;
    }

    public long totalBytes()
    {
        return totalBytes;
    }

    public int chunkCount()
    {
        return chunkCount;
    }

    /**
     * @return the epochs completed so far, in completion order.
     */
    public List<EpochResult> epochs()
    {
        synchronized (epochs)
        {
            return List.copyOf(epochs);
        }
    }

    /**
     * A completed epoch as the coordinator reported it.
     *
     * @param deliveredSamples samples in the steps the consumers released.
     * @param droppedSamples   samples the drop policy left out.
     * @param steps            steps of every rank; -1 for the chunk feed.
     * @param missing          chunk ids no server could deliver.
     */
    public record EpochResult(int epoch, long deliveredSamples, long droppedSamples, int steps, List<Integer> missing)
    {
    }
}
