package io.stoker.examples;

import io.stoker.dataset.RecordTable;
import io.stoker.transport.session.JobToken;
import io.stoker.worker.EmbeddedWorker;
import io.stoker.worker.HostChunk;
import io.stoker.worker.ResumeToken;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * A training loop that embeds a Stoker worker: it joins a running coordinator as a rank, takes chunks
 * from the feed and "trains" on their records, takes a resume token partway through the first epoch,
 * stops (as a crashed or preempted job would), then starts again from the token and finishes the job.
 * At the end it checks that no chunk reached the loop twice in an epoch.
 * <p>
 * Run {@code examples/scripts/embedded-training-loop.sh}, which starts a coordinator, a data server and
 * the job around it; or, against your own coordinator:
 * {@code java <flags> -cp stoker.jar:stoker-examples.jar io.stoker.examples.TrainingLoopExample
 * COORDINATOR LISTEN RANK TOKEN_FILE STOP_AFTER}.
 */
public final class TrainingLoopExample
{
    private final Map<Integer, BitSet> seen = new HashMap<>();
    private long records;
    private long checksum;
    private int repeats;

    public static void main(final String[] args)
    {
        if (args.length != 5)
        {
            System.err.println("usage: TrainingLoopExample COORDINATOR_HOST:PORT LISTEN_HOST:PORT RANK TOKEN_FILE " +
                "STOP_AFTER_CHUNKS");
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
            System.out.println("training loop: stopping after " + stopAfter + " chunks; resume token " + token);
        }

        try (EmbeddedWorker<HostChunk> worker = EmbeddedWorker.start(options.resumeFrom(token)))
        {
            System.out.println("training loop: restarted from " + token);
            loop.train(worker, Integer.MAX_VALUE);
            System.out.printf("training loop: job %s after %d epochs%n",
                worker.agent().outcome(), worker.agent().epochsCompleted());
        }

        loop.seen.forEach((epoch, chunks) ->
            System.out.println("training loop: epoch " + epoch + ": " + chunks.cardinality() + " chunks"));
        System.out.printf("training loop: %d records, checksum %016x, %d chunks seen twice%n",
            loop.records, loop.checksum, loop.repeats);
        System.exit(loop.repeats == 0 ? 0 : 1);
    }

    /**
     * Take up to {@code limit} chunks, or until the job ends.
     */
    private void train(final EmbeddedWorker<HostChunk> worker, final int limit)
    {
        final IdleStrategy idle = new BackoffIdleStrategy();
        HostChunk chunk;
        for (int taken = 0; taken < limit && null != (chunk = worker.feed().take(idle)); taken++)
        {
            final BitSet epochSeen = seen.computeIfAbsent(chunk.epoch(), epoch -> new BitSet());
            if (epochSeen.get(chunk.chunkId()))
            {
                repeats++;
            }
            epochSeen.set(chunk.chunkId());
            step(chunk.buffer(), chunk.records());
            chunk.release();
        }
    }

    /**
     * Stands in for a training step: touches the first bytes of every record, as a data loader's
     * collate function would.
     */
    private void step(final DirectBuffer bytes, final RecordTable table)
    {
        for (int i = 0; i < table.count(); i++)
        {
            checksum = checksum * 31 + bytes.getByte(table.offset(i));
            records++;
        }
    }
}
