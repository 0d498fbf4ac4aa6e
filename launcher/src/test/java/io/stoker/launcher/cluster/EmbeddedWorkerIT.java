package io.stoker.launcher.cluster;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.RankStream;
import io.stoker.plan.Segment;
import io.stoker.transport.session.JobToken;
import io.stoker.worker.Batch;
import io.stoker.worker.EmbeddedWorker;
import io.stoker.worker.HostChunk;
import io.stoker.worker.ResumeToken;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training loop that embeds its worker through the library, against a coordinator and a data server running
 * as processes: it takes batches, stops with a resume token, starts again from it, and across both runs each
 * step of every epoch reaches it once, in the planned order, with the planned samples and their bytes.
 */
class EmbeddedWorkerIT
{
    private static final int MIB = 1024 * 1024;
    private static final int STOP_AFTER = 7;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    @Test
    void aLoopStoppedWithAResumeTokenAndRestartedFromItTakesEveryStepOnceNeitherRepeatingNorSkipping()
        throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("tfrecord:3000", 8 * MIB, MIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            final StokerProcesses.Node submit = run.submit(1, 2);
            final JobToken token = JobToken.read(cluster.tokenFile);
            final List<String> log = new CopyOnWriteArrayList<>();
            final EmbeddedWorker.Options options = new EmbeddedWorker.Options()
                .coordinator(run.coordinatorEndpoint)
                .rank(0)
                .jobToken(token)
                .logger(log::add);

            final BatchSpec other = new BatchSpec(32, ClusterRun.BATCHES.shuffleWindow(), DropPolicy.PARTIAL);
            try (EmbeddedWorker<HostChunk> refusing = EmbeddedWorker.start(
                options.listen(StokerProcesses.endpoint()).batches(other).errorHandler(ex -> log.add(ex.getMessage()))))
            {
                await(() -> log.stream().anyMatch(line -> line.contains("refused: it has")));
                assertNull(refusing.feed().poll(), "a job with other batches fed nothing");
                assertTrue(log.stream().anyMatch(line -> line.contains("expects " + other)), log.toString());
            }

            final List<List<Taken>> epochs = List.of(new ArrayList<>(), new ArrayList<>());
            final ResumeToken resume;
            try (EmbeddedWorker<HostChunk> first = EmbeddedWorker.start(
                options.listen(StokerProcesses.endpoint()).batches(ClusterRun.BATCHES)))
            {
                take(first, STOP_AFTER, epochs);
                resume = first.resumeToken();
            }
            assertEquals(0, resume.epoch(), resume.toString());
            assertEquals(STOP_AFTER, resume.step(), "the token names the steps taken: " + resume);

            try (EmbeddedWorker<HostChunk> second = EmbeddedWorker.start(
                options.listen(StokerProcesses.endpoint()).resumeFrom(resume)))
            {
                take(second, Integer.MAX_VALUE, epochs);
                assertEquals(2, second.agent().epochsCompleted());
            }
            assertEquals(0, submit.awaitExit(ClusterRun.RUN), submit.log());

            for (int epoch = 0; epoch < 2; epoch++)
            {
                final Segment segment = run.segment(epoch);
                final RankStream stream = segment.stream(0);
                final List<Taken> taken = epochs.get(epoch);
                assertEquals(stream.steps(), taken.size(), "steps taken in epoch " + epoch);
                for (int step = 0; step < stream.steps(); step++)
                {
                    final Taken batch = taken.get(step);
                    final String where = "epoch " + epoch + ", step " + step;
                    assertEquals(step, batch.step(), where + ": steps in order, none twice, none skipped");
                    assertArrayEquals(ClusterRun.plannedSamples(stream, step), batch.samples(), where);
                    assertEquals(run.fileCrc(batch.samples()), batch.crc(), where + ": the samples' bytes");
                }
            }
        }
    }

    /**
     * Take up to {@code limit} batches, or until the job ends, keeping what each held.
     */
    private static void take(final EmbeddedWorker<HostChunk> worker, final int limit, final List<List<Taken>> epochs)
    {
        final IdleStrategy idle = new BackoffIdleStrategy();
        final Crc32c crc = new Crc32c();
        Batch<HostChunk> batch;
        for (int taken = 0; taken < limit && null != (batch = worker.feed().take(idle)); taken++)
        {
            final int[] samples = new int[2 * batch.size()];
            crc.reset();
            for (int i = 0; i < batch.size(); i++)
            {
                samples[2 * i] = batch.chunkId(i);
                samples[2 * i + 1] = batch.record(i);
                crc.update(batch.chunk(i).byteBuffer(), batch.offset(i), batch.length(i));
            }
            assertEquals(0, batch.stream(), "a job of one rank has one stream");
            epochs.get(batch.epoch()).add(new Taken(batch.step(), samples, crc.value()));
            batch.release();
        }
    }

    private static void await(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + ClusterRun.START.toNanos();
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "condition not met in " + ClusterRun.START);
            Thread.sleep(20);
        }
    }

    private record Taken(int step, int[] samples, int crc)
    {
    }
}
