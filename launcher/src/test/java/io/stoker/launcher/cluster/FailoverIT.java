package io.stoker.launcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stoker.codecs.Role;
import io.stoker.dataset.Manifest;
import io.stoker.transport.session.JobToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fast failover with real processes and real {@code kill -9}s, with 5 s leases: a dead data server costs its
 * reads a retry on the replica, not a lease or a read timeout; a worker restarted for its rank takes the rank
 * over at once.
 */
class FailoverIT
{
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;
    private static final long LEASE_MS = 5000;
    private static final long RESTART_LEASE_MS = 10_000;
    private static final String BYTES_SERVED = "data server: bytes served";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    /**
     * Two replica data servers, both serving reads (the positive control), one killed mid-job: after the kill every
     * read goes to the replica (its bytes served grow by what the workers still read, the dead one served nothing
     * more), the reads the dead one held are retried and counted, the job completes exactly once, and from the kill
     * on no consumer waited for a batch as long as a second (the read timeout is 2 s, the lease 5 s: waiting for
     * either, as workers did before, fails this).
     */
    @Test
    void aReplicaDataServerKilledMidJobCostsItsReadsARetryOnTheReplicaAndNoConsumerStarvesForASecond()
        throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("tfrecord:3000", 32 * MIB, 128 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.leaseTimeoutMs = "" + LEASE_MS;
            run.coordinator();
            run.server("server-a");
            run.server("server-b");
            run.workers(2, "--step-time", "20000");
            final StokerProcesses.Node submit = run.submit(2, 4);

            run.awaitAcks(-1, 60);
            run.servers.get(0).kill9();
            final long[] releasedAtKill = { run.acks(0), run.acks(1) };
            final long servedByReplicaAtKill = run.serverCounters(1).value(BYTES_SERVED);
            final long servedByDeadOne = run.serverCounters(0).value(BYTES_SERVED);
            assertTrue(servedByDeadOne > 0 && servedByReplicaAtKill > 0, "both replicas served before the kill: " +
                servedByDeadOne + " and " + servedByReplicaAtKill + " bytes");

            run.assertCompletesExactlyOnce(submit, 4, Set.of());
            final long servedByReplica = run.serverCounters(1).value(BYTES_SERVED);
            long readByWorkers = 0;
            long retries = 0;
            for (int rank = 0; rank < 2; rank++)
            {
                final JsonNode totals = report(run, rank).get("totals");
                readByWorkers += totals.get("bytesRead").get("udp").asLong();
                retries += totals.get("readRetries").asLong();
                assertEquals(0, totals.get("chunksUnavailable").asLong());
                assertTrue(run.workers.get(rank).log().contains(" over udp is down: its reads go to replicas"),
                    run.workers.get(rank).log());
            }
            assertTrue(retries > 0, "the dead server's reads were retried");
            assertTrue(servedByReplica - servedByReplicaAtKill > 0, "the replica served on after the kill");
            assertTrue(readByWorkers <= servedByDeadOne + servedByReplica, "the workers read " + readByWorkers +
                " bytes, the dead one served " + servedByDeadOne + " in all and the replica " + servedByReplica);

            for (int rank = 0; rank < 2; rank++)
            {
                final List<Double> times = deliveryTimes(report(run, rank));
                final double sinceKill = maxGapSeconds(times, (int)Math.max(0, releasedAtKill[rank] - 1));
                System.out.printf("failover: rank %d, %d retries in all, longest wait between batches %.3f s from " +
                    "the kill on (%.3f s over the whole run)%n", rank, retries, sinceKill, maxGapSeconds(times, 0));
                assertTrue(sinceKill < 1.0, "rank " + rank + "'s consumer waited " + sinceKill + " s for a batch");
            }
        }
    }

    /**
     * A worker killed and started again at once for its rank takes the rank over at once: the coordinator
     * supersedes the dead one, the new one delivers the rank's remaining steps and nothing of the rank goes to the
     * other rank (waiting for the dead one's 10 s lease, as before, hands them all to rank 0), and the job completes
     * exactly once. A member of that rank from an older incarnation, in the same run, is refused.
     */
    @Test
    void aWorkerRestartedForItsRankTakesItOverAtOnceAndAnOlderIncarnationIsRefused() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 128 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.leaseTimeoutMs = "" + RESTART_LEASE_MS;
            run.coordinator();
            run.server("server-a");
            run.workers(2, "--step-time", "15000");
            final StokerProcesses.Node submit = run.submit(2, 2);

            run.awaitAcks(1, 8);
            run.workers.get(1).kill9();
            Thread.sleep(200);
            final int acksOfTheDeadOne = run.ackLines();
            final StokerProcesses.Node restarted = run.restartWorker(1, "--step-time", "15000");
            run.coordinator.awaitLog("superseded by a newer incarnation", ClusterRun.START);

            try (FakeMember stale = new FakeMember(run.coordinatorEndpoint, Role.WORKER, 1,
                new JobToken(Files.readAllBytes(cluster.tokenFile))))
            {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (stale.errors().stream().noneMatch(error -> error.contains("REGISTRATION_REFUSED")))
                {
                    assertTrue(System.nanoTime() < deadline, "the stale member heard: " + stale.errors());
                    Thread.sleep(20);
                }
                assertFalse(stale.isRegistered());
            }

            run.assertCompletesExactlyOnce(submit, 2, Set.of(), Map.of(1, acksOfTheDeadOne));
            assertTrue(run.coordinator.log().contains("refused a worker of rank 1"), run.coordinator.log());
            final JsonNode rankZero = report(run, 0);
            for (final JsonNode epoch : rankZero.get("epochs"))
            {
                for (final JsonNode step : epoch.get("ranks").get(0).get("steps"))
                {
                    assertEquals(0, step.get("stream").asInt(), "rank 1's steps stayed with rank 1");
                }
            }
            final int delivered = report(run, 1).get("totals").get("steps").asInt();
            assertTrue(delivered > 0, "the restarted worker delivered steps:\n" + restarted.log());
            System.out.printf("failover: the restarted rank 1 delivered %d steps after the dead one acknowledged " +
                "%d%n", delivered, acksOfTheDeadOne);
        }
    }

    private static JsonNode report(final ClusterRun run, final int rank) throws IOException
    {
        return new ObjectMapper().readTree(run.report(rank).toFile());
    }

    /**
     * @return when the rank's consumer took each batch, in order.
     */
    private static List<Double> deliveryTimes(final JsonNode report)
    {
        final List<Double> times = new ArrayList<>();
        for (final JsonNode epoch : report.get("epochs"))
        {
            for (final JsonNode step : epoch.get("ranks").get(0).get("steps"))
            {
                times.add(step.get("deliveredSeconds").asDouble());
            }
        }
        Collections.sort(times);
        return times;
    }

    /**
     * @param from the first batch to count from: the one the consumer took when the server was killed (it had
     *             released as many as the coordinator logged then), which excludes the start-up, when a loaded
     *             machine makes the longest waits of any run.
     * @return the longest time between two batches from there on.
     */
    private static double maxGapSeconds(final List<Double> times, final int from)
    {
        double gap = 0;
        for (int i = from + 1; i < times.size(); i++)
        {
            gap = Math.max(gap, times.get(i) - times.get(i - 1));
        }
        return gap;
    }
}
