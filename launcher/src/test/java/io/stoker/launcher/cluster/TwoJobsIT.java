package io.stoker.launcher.cluster;

import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.Manifest;
import io.stoker.plan.JobSpec;
import io.stoker.plan.Piece;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.WorkerJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two jobs on one coordinator and one data server, real processes over UDP on loopback: each job has its own token
 * (derived from the cluster token by {@code stoker token}), two workers, a seed and a submit of its own. The second
 * is submitted while the first runs, and runs to its end while the first cannot (one of its workers is frozen, well
 * within its lease): it started at once, not after the first. Both complete, each exactly once. A worker naming the
 * first job with the second's token is refused, while the first job's own workers, in the same run, deliver.
 */
class TwoJobsIT
{
    private static final long MIB = 1 << 20;
    private static final int KIB = 1 << 10;

    @TempDir
    Path temp;

    @Test
    void twoJobsSubmittedOneWhileTheOtherRunsBothCompleteExactlyOnceAndAnotherJobsTokenIsRefused() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 512 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.leaseTimeoutMs = "60000";
            run.coordinator();
            run.server("server-a");
            final Path tokenA = jobToken(cluster, "team-a");
            final Path tokenB = jobToken(cluster, "team-b");
            assertFalse(Files.readString(tokenA).equals(Files.readString(tokenB)));

            final JobSpec specA = JobSpec.of(manifest.datasetId(), 2, 2, 5, ClusterRun.BATCHES);
            final List<StokerProcesses.Node> workersA = workers(run, "team-a", tokenA, "--step-time", "20000");
            final StokerProcesses.Node submitA = submit(run, "team-a", tokenA, specA);
            run.awaitAcks(1, 2);
            workersA.get(1).signal("STOP");

            final StokerProcesses.Node intruder = cluster.start("intruder", "worker", "--coordinator",
                run.coordinatorEndpoint, "--listen", StokerProcesses.endpoint(), "--rank", "0", "--job", "team-a",
                "--job-token-file", tokenB.toString(), "--host-id", "intruder-host");
            final JobSpec specB = JobSpec.of(manifest.datasetId(), 2, 1, 7, ClusterRun.BATCHES);
            final List<StokerProcesses.Node> workersB = workers(run, "team-b", tokenB);
            final StokerProcesses.Node submitB = submit(run, "team-b", tokenB, specB);

            assertEquals(0, submitB.awaitExit(ClusterRun.RUN), submitB.log());
            assertTrue(submitA.process.isAlive(), "job A cannot end while its rank 1 is frozen: job B did not " +
                "wait for it\n" + submitA.log());
            assertEquals(List.of(1L, 2L), List.of(state(run, "team-a"), state(run, "team-b")),
                "stoker stat's figures: job A running, job B finished");
            workersA.get(1).signal("CONT");
            assertEquals(0, submitA.awaitExit(ClusterRun.RUN), submitA.log());
            for (final StokerProcesses.Node worker : List.of(workersA.get(0), workersA.get(1), workersB.get(0),
                workersB.get(1)))
            {
                assertEquals(0, worker.awaitExit(ClusterRun.RUN), worker.log());
            }

            run.assertReportsExactlyOnce(specA, List.of(report(run, "team-a", 0), report(run, "team-a", 1)));
            run.assertReportsExactlyOnce(specB, List.of(report(run, "team-b", 0), report(run, "team-b", 1)));
            assertSubmitReported(run, submitA, specA);
            assertSubmitReported(run, submitB, specB);
            assertEquals(run.plannedSteps(specA), run.coordinatorCounters()
                .value("coordinator job team-a: steps acknowledged"));
            assertEquals(run.plannedSteps(specB), run.coordinatorCounters()
                .value("coordinator job team-b: steps acknowledged"));
            assertEquals(specA.epochs(), run.coordinatorCounters().value("coordinator job team-a: epochs completed"));
            assertEquals(manifest.totalRecords() - dropped(run, specB),
                run.coordinatorCounters().value("coordinator job team-b: samples delivered"));
            assertEquals(List.of(2L, 2L), List.of(state(run, "team-a"), state(run, "team-b")));

            intruder.awaitLog("did not prove the job token", ClusterRun.START);
            assertTrue(intruder.process.isAlive(), "never admitted, it never heard job A end:\n" + intruder.log());
            assertFalse(workersA.get(0).log().contains("superseded"), "the intruder, a later incarnation of rank 0 " +
                "of job A, would have taken the rank over had it been admitted:\n" + workersA.get(0).log());
        }
    }

    private static long state(final ClusterRun run, final String job)
    {
        return run.coordinatorCounters().value("coordinator job " + job + ": " + CounterType.JOB_STATE.description());
    }

    private static long dropped(final ClusterRun run, final JobSpec spec)
    {
        long dropped = 0;
        for (int epoch = 0; epoch < spec.epochs(); epoch++)
        {
            dropped += spec.segment(WorkerJob.spaceOf(DatasetLayout.of(run.manifest)), epoch).dropped().stream()
                .mapToLong(Piece::count).sum();
        }
        return dropped;
    }

    /**
     * @return the token of a job, written by {@code stoker token} from the cluster token.
     */
    private static Path jobToken(final StokerProcesses cluster, final String job) throws Exception
    {
        final Path file = cluster.directory.resolve(job + ".token");
        final StokerProcesses.Node command = cluster.start("token-" + job, "token", "--job", job,
            "--cluster-token-file", cluster.tokenFile.toString(), "--out", file.toString());
        assertEquals(0, command.awaitExit(ClusterRun.START), command.log());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        return file;
    }

    private static List<StokerProcesses.Node> workers(
        final ClusterRun run, final String job, final Path token, final String... extra) throws Exception
    {
        final List<StokerProcesses.Node> workers = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++)
        {
            final List<String> args = new ArrayList<>(List.of("worker", "--coordinator", run.coordinatorEndpoint,
                "--listen", StokerProcesses.endpoint(), "--rank", "" + rank, "--job", job, "--job-token-file",
                token.toString(), "--host-id", "worker-host", "--report", report(run, job, rank).toString()));
            args.addAll(List.of(extra));
            workers.add(run.cluster.start(job + "-worker-" + rank, args.toArray(String[]::new)));
        }
        for (final StokerProcesses.Node worker : workers)
        {
            worker.awaitLog("joining", ClusterRun.START);
        }
        return workers;
    }

    private static StokerProcesses.Node submit(final ClusterRun run, final String job, final Path token,
        final JobSpec spec) throws Exception
    {
        return run.cluster.start(job + "-submit", "submit", "--coordinator", run.coordinatorEndpoint,
            "--listen", StokerProcesses.endpoint(), "--job", job, "--dataset-id", spec.datasetId(),
            "--world-size", "" + spec.worldSize(), "--epochs", "" + spec.epochs(), "--seed", "" + spec.seed(),
            "--batch-size", "" + spec.batchSpec().batchSize(),
            "--shuffle-window", "" + spec.batchSpec().shuffleWindow(),
            "--drop-policy", spec.batchSpec().dropPolicy().label(), "--job-token-file", token.toString());
    }

    private static Path report(final ClusterRun run, final String job, final int rank)
    {
        return run.cluster.directory.resolve(job + "-worker-" + rank + ".json");
    }

    private static void assertSubmitReported(final ClusterRun run, final StokerProcesses.Node submit,
        final JobSpec spec)
    {
        for (int epoch = 0; epoch < spec.epochs(); epoch++)
        {
            final int steps = spec.segment(WorkerJob.spaceOf(DatasetLayout.of(run.manifest)), epoch).steps();
            assertTrue(submit.log().contains("epoch " + epoch + ": ") &&
                submit.log().contains(" samples delivered in " + steps + " steps per rank"), submit.log());
        }
        assertTrue(submit.log().contains(": COMPLETE"), submit.log());
    }
}
