package io.stoker.launcher.cluster;

import io.stoker.dataset.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coordinator, data servers, workers and the submitting client as separate processes on loopback,
 * over Aeron UDP, with real {@code kill -9}s.
 */
class DistributedRunIT
{
    private static final Duration START = ClusterRun.START;
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    @Test
    void threeProcessKindsOverUdpDeliverEveryChunkOnceWithMatchingCrcs() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 512 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.workers(2);
            final StokerProcesses.Node submit = run.submit(2, 2);

            run.assertCompletesExactlyOnce(submit, 2, Set.of());
            run.workers.forEach(worker -> assertTrue(worker.log().contains("over udp"), worker.log()));
            assertEquals(0, run.coordinatorCounters().value("coordinator: invalid messages"));
        }
    }

    /**
     * Many small shards: the job must wait until every shard is advertised, and a read of a region not
     * advertised yet must wait for it rather than spend its attempts (this lost chunks before).
     */
    @Test
    void aDatasetOfTwentyThousandSmallShardsIsDeliveredWholeAndExactlyOnce() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:512", 20_000 * 512, 64 * KIB, 512);
            assertEquals(20_000, manifest.shardCount());
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.workers(2);
            final StokerProcesses.Node submit = run.submit(2, 1);

            run.assertCompletesExactlyOnce(submit, 1, Set.of());
            assertFalse(submit.log().contains("missing"), submit.log());
        }
    }

    @Test
    void aWorkerKilledMidEpochLeavesItsChunksToTheSurvivorsAndNothingIsDeliveredTwice() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 128 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.workers(3, "--step-time", "15000");
            final StokerProcesses.Node submit = run.submit(3, 2);

            run.awaitAcks(2, 8);
            run.workers.get(2).kill9();

            run.assertCompletesExactlyOnce(submit, 2, Set.of(2));
            assertTrue(run.coordinator.log().contains("lease of worker rank 2"), run.coordinator.log());
        }
    }

    @Test
    void aReplicaDataServerKilledMidEpochLosesNoChunk() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("tfrecord:3000", 16 * MIB, 128 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.server("server-b");
            run.workers(2, "--step-time", "10000", "--read-timeout", "1000");
            final StokerProcesses.Node submit = run.submit(2, 2);

            run.awaitAcks(-1, 20);
            run.servers.get(0).kill9();

            run.assertCompletesExactlyOnce(submit, 2, Set.of());
        }
    }

    @Test
    void aCoordinatorKilledMidEpochAndRestartedResumesWithoutRepeatingOrSkipping() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 128 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator("--checkpoint-dir", temp.resolve("checkpoints").toString(), "--checkpoint-every", "4");
            run.server("server-a");
            run.workers(2, "--step-time", "15000");
            final StokerProcesses.Node submit = run.submit(2, 2);

            run.awaitAcks(-1, 30);
            run.coordinator.kill9();
            run.coordinator("--checkpoint-dir", temp.resolve("checkpoints").toString(), "--checkpoint-every", "4");
            run.coordinator.awaitLog("resumed job", START);

            run.assertCompletesExactlyOnce(submit, 2, Set.of());
        }
    }
}
