package io.stoker.benchmarks.jmh;

import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckDecoder;
import io.stoker.codecs.StepAckEncoder;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.MessageSealer;
import io.stoker.transport.session.Service;
import io.stoker.transport.session.SessionKeys;
import io.stoker.transport.wire.Refusals;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The price of checking every control message before dispatch: a step acknowledgement of 64 steps of a stream
 * through the {@link ControlAdapter}, from a session admitted without a token (the validator's walk of
 * every length and count) and from a sealed session (sealing it on the sending side and checking the
 * seal too), against decoding it directly.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class ControlDecodeBenchmark
{
    private static final int SEALED_SESSION = 7;
    private static final int STEPS = 64;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private final StepAckDecoder direct = new StepAckDecoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final UnsafeBuffer sealed = new UnsafeBuffer(new byte[4096]);
    private int length;
    private long sum;
    private ControlAdapter adapter;
    private MessageSealer sealer;

    @Setup
    public void setup()
    {
        final StepAckEncoder ack = new StepAckEncoder().wrapAndApplyHeader(buffer, 0, header)
            .memberId(1).jobId(2).epoch(3).segment(0).stream(4);
        final StepAckEncoder.StepsEncoder steps = ack.stepsCount(STEPS);
        for (int i = 0; i < STEPS; i++)
        {
            steps.next().step(i * 7);
        }
        length = MessageHeaderEncoder.ENCODED_LENGTH + ack.encodedLength();
        final AtomicCounter invalid = new CountersManager(
            new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[8 * 1024])).newCounter("invalid");
        final Refusals refusals = new Refusals("benchmark", invalid, ex ->
        {
            throw new IllegalStateException(ex);
        }, SystemNanoClock.INSTANCE);
        final SessionKeys keys = SessionKeys.derive(new JobToken("a-token-for-the-benchmark".getBytes(
            StandardCharsets.US_ASCII)), Service.COORDINATOR, new HandshakeIdentity(Role.WORKER, 0, (byte)0, 1, "host",
            "aeron:ipc"), 1, SEALED_SESSION, 2, new byte[32], new byte[32]);
        sealer = keys.sealer(true);
        final MessageOpener opener = keys.opener(false);
        adapter = new ControlAdapter(null, sessionId -> SEALED_SESSION == sessionId ? opener : MessageOpener.OPEN,
            refusals, -1, new ControlListener()
        {
            @Override
            public void onStepAck(final int sessionId, final StepAckDecoder decoder)
            {
                sum(decoder);
            }

            @Override
            public void onUnexpected(final int sessionId, final int templateId)
            {
                throw new IllegalStateException("unexpected template " + templateId);
            }
        });
    }

    @Benchmark
    public long validatedThroughTheAdapter()
    {
        adapter.onMessage(buffer, 0, length, 1);
        return sum;
    }

    @Benchmark
    public long sealedAndCheckedThroughTheAdapter()
    {
        sealed.putBytes(0, buffer, 0, length);
        sealer.seal(sealed, 0, length, sealed, length);
        adapter.onMessage(sealed, 0, length + MessageSealer.SEAL_LENGTH, SEALED_SESSION);
        return sum;
    }

    @Benchmark
    public long decodedDirectly()
    {
        direct.wrapAndApplyHeader(buffer, 0, headerDecoder);
        sum(direct);
        return sum;
    }

    private void sum(final StepAckDecoder decoder)
    {
        sum += decoder.stream();
        for (final StepAckDecoder.StepsDecoder step : decoder.steps())
        {
            sum += step.step();
        }
    }
}
