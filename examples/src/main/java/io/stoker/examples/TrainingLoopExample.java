package io.stoker.examples;

import io.stoker.transport.session.JobToken;
import io.stoker.worker.Batch;
import io.stoker.worker.EmbeddedWorker;
import io.stoker.worker.HostChunk;
import io.stoker.worker.ResumeToken;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.nio.file.Path;

/**
 * A training loop that embeds a Stoker worker: it joins a running coordinator as a rank, takes batches
 * from the feed and "trains" on their samples, takes a resume token partway through the first epoch,
 * stops (as a crashed or preempted job would), then starts again from the token and finishes the job.
 * At the end it checks that no sample reached the loop twice in an epoch.
 * <p>
 * Run {@code examples/scripts/embedded-training-loop.sh}, which starts a coordinator, a data server and
 * the job around it; or, against your own coordinator:
 * {@code java <flags> -cp stoker.jar:stoker-examples.jar io.stoker.examples.TrainingLoopExample
 * COORDINATOR LISTEN RANK TOKEN_FILE STOP_AFTER}.
 */
public final class TrainingLoopExample
{
    private final Int2ObjectHashMap<LongHashSet> seen = new Int2ObjectHashMap<>();
    private long samples;
    private long checksum;
    private int repeats;

    /**
     * Run the loop.
     *
     * @param args coordinator, listen address, rank, token file, and how many steps to take before stopping.
     */
    public static void main(final String[] args)
    {
        if (args.length != 5)
        {
            System.err.println("usage: TrainingLoopExample COORDINATOR_HOST:PORT LISTEN_HOST:PORT RANK TOKEN_FILE " +
                "STOP_AFTER_STEPS");
            System.exit(2);
        }
        final EmbeddedWorker.Options options = new EmbeddedWorker.Options()
            .coordinator(args[0])
            .listen(args[1])
            .rank(Integer.parseInt(args[2]))
            .jobToken(JobToken.read(Path.of(args[3])));
        final int stopAfter = Integer.parseInt(args[4]);

        final TrainingLoopExample loop = new TrainingLoopExample();
        final ResumeToken token;
        try (EmbeddedWorker<HostChunk> worker = EmbeddedWorker.start(options))
        {
            loop.train(worker, stopAfter);
            token = worker.resumeToken();
            System.out.println("training loop: stopping after " + stopAfter + " steps; resume token " + token);
        }

        try (EmbeddedWorker<HostChunk> worker = EmbeddedWorker.start(options.resumeFrom(token)))
        {
            System.out.println("training loop: restarted from " + token);
            loop.train(worker, Integer.MAX_VALUE);
            System.out.printf("training loop: job %s after %d epochs%n",
                worker.agent().outcome(), worker.agent().epochsCompleted());
        }

        loop.seen.forEach((epoch, epochSamples) ->
            System.out.println("training loop: epoch " + epoch + ": " + epochSamples.size() + " samples"));
        System.out.printf("training loop: %d samples, checksum %016x, %d samples seen twice%n",
            loop.samples, loop.checksum, loop.repeats);
        System.exit(loop.repeats == 0 ? 0 : 1);
    }

    /**
     * Take up to {@code limit} steps, or until the job ends.
     */
    private void train(final EmbeddedWorker<HostChunk> worker, final int limit)
    {
        final IdleStrategy idle = new BackoffIdleStrategy();
        Batch<HostChunk> batch;
        for (int taken = 0; taken < limit && null != (batch = worker.feed().take(idle)); taken++)
        {
            final LongHashSet epochSeen = seen.computeIfAbsent(batch.epoch(), epoch -> new LongHashSet());
            for (int i = 0; i < batch.size(); i++)
            {
                if (!epochSeen.add(((long)batch.chunkId(i) << 32) | batch.record(i)))
                {
                    repeats++;
                }
                step(batch, i);
            }
            batch.release();
        }
    }

    /**
     * Stands in for a training step: touches the first byte of every sample, as a collate function would.
     */
    private void step(final Batch<HostChunk> batch, final int sample)
    {
        checksum = checksum * 31 + batch.chunk(sample).buffer().getByte(batch.offset(sample));
        samples++;
    }
}
