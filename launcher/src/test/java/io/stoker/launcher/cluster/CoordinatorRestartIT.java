package io.stoker.launcher.cluster;

import io.stoker.dataset.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The coordinator killed with {@code kill -9} and restarted over its checkpoint directory, again and again in one
 * job, at seeded random moments and at the very end: every run completes, {@code submit} returns the outcome, the
 * ack log holds each (epoch, stream, step) exactly once, and the workers' reports agree with it. The fast variant
 * runs in the suite; {@code launcher/src/test/scripts/coordinator-chaos.sh} loops it
 * ({@code -Dstoker.chaos.runs}, {@code -Dstoker.chaos.seed}).
 */
class CoordinatorRestartIT
{
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;
    private static final int WORKERS = 2;
    private static final int EPOCHS = 3;
    /**
     * Longer than a restart (a JVM start) takes, as in a deployment, so that members are still registered when the
     * restarted coordinator tells them; and a loaded test machine does not end a live worker's lease (which, with
     * no fencing yet, can deliver a step twice).
     */
    private static final String LEASE_MS = "4000";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    /**
     * Three kills per run at seeded random numbers of acknowledgements, the first one early in epoch 0: before the
     * last epoch is planned (epochs are planned one ahead), so a restarted coordinator must plan and assign it.
     */
    @Test
    void aCoordinatorKilledAtRandomMomentsAndRestartedCompletesTheJobExactlyOnce() throws Exception
    {
        final long seed = Long.getLong("stoker.chaos.seed", System.nanoTime());
        final int runs = Integer.getInteger("stoker.chaos.runs", 1);
        for (int i = 0; i < runs; i++)
        {
            final long runSeed = seed + i;
            System.out.println("CoordinatorRestartIT: run " + i + " of " + runs + ", seed " + runSeed);
            final Random random = new Random(runSeed);
            try (StokerProcesses cluster = new StokerProcesses(Files.createDirectories(temp.resolve("run-" + i))))
            {
                final ClusterRun run = start(cluster);
                final int total = run.plannedSteps(EPOCHS);
                final int epochZero = run.plannedSteps(1);
                final TreeSet<Integer> kills = new TreeSet<>();
                kills.add(1 + random.nextInt(epochZero / 2));
                while (kills.size() < 3)
                {
                    kills.add(1 + random.nextInt(total - 1));
                }
                final StokerProcesses.Node submit = run.submit(WORKERS, EPOCHS);
                final StokerProcesses.Node first = run.coordinator;
                for (final int acks : kills)
                {
                    restartAfter(run, acks, "seed " + runSeed);
                }

                run.assertCompletesExactlyOnce(submit, EPOCHS, Set.of());
                run.assertAckLogExactlyOnce(EPOCHS);
                System.out.println("CoordinatorRestartIT: seed " + runSeed + ": workers told of a restart by the " +
                    "restarted coordinator: " + run.workers.stream().mapToLong(worker ->
                    worker.log().lines().filter(line -> line.contains("the coordinator restarted")).count()).sum() +
                    " times (any other noticed the silence first, a lease after the kill)");
                assertFalse(first.log().contains("planned epoch " + (EPOCHS - 1)), "seed " + runSeed + ": the " +
                    "first coordinator was killed before it planned the last epoch:\n" + first.log());
                assertTrue(run.coordinatorLogs().contains("planned epoch " + (EPOCHS - 1)), "seed " + runSeed);
            }
        }
    }

    /**
     * Killed one acknowledgement before the end, and again once every acknowledgement is in the ack log (about
     * when the job completes): the restarted coordinator finishes the job, or knows it finished, and {@code submit}
     * returns its outcome rather than starting another job.
     */
    @Test
    void aCoordinatorKilledAtTheVeryEndAnswersTheJobsOutcome() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final ClusterRun run = start(cluster);
            final int total = run.plannedSteps(EPOCHS);
            final StokerProcesses.Node submit = run.submit(WORKERS, EPOCHS);
            restartAfter(run, total - 1, "one before the end");
            restartAfter(run, total, "at the end");

            run.assertCompletesExactlyOnce(submit, EPOCHS, Set.of());
            run.assertAckLogExactlyOnce(EPOCHS);
            assertFalse(run.coordinatorLogs().contains("job 2"), "no other job:\n" + run.coordinatorLogs());
        }
    }

    private ClusterRun start(final StokerProcesses cluster) throws Exception
    {
        final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 128 * KIB);
        final ClusterRun run = new ClusterRun(cluster, manifest);
        run.leaseTimeoutMs = LEASE_MS;
        run.coordinator(checkpoints(cluster));
        run.server("server-a");
        run.workers(WORKERS, "--step-time", "30000");
        return run;
    }

    /**
     * Kill the coordinator once the ack log holds {@code acks} lines, restart it, and report how long after its
     * start the acknowledgements moved on (none do after the last).
     */
    private static void restartAfter(final ClusterRun run, final int acks, final String what) throws Exception
    {
        run.awaitAcks(-1, acks);
        run.coordinator.kill9();
        final long startNs = System.nanoTime();
        run.coordinator(checkpoints(run.cluster));
        run.coordinator.awaitLog("resumed job", ClusterRun.START);
        final long logged = Files.readAllLines(run.ackLog).size();
        String moved = "";
        if (logged < run.plannedSteps(EPOCHS))
        {
            run.awaitAcks(-1, (int)logged + 1);
            moved = ", acknowledgements moved on " + (System.nanoTime() - startNs) / 1_000_000 + " ms after the " +
                "restart began";
        }
        System.out.println("CoordinatorRestartIT: " + what + ": killed after " + acks + " acknowledgements" + moved);
    }

    private static String[] checkpoints(final StokerProcesses cluster)
    {
        return new String[]{ "--checkpoint-dir", cluster.directory.resolve("checkpoints").toString() };
    }
}
