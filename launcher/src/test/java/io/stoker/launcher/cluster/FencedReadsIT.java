package io.stoker.launcher.cluster;

import io.stoker.dataset.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-server-side fencing, process to process: coordinator, data server and two workers as separate processes, reads
 * over UDP on loopback. One worker is frozen (SIGSTOP) past its lease: the coordinator ends it and tells the data
 * server ({@code WorkerFenced}), which counts the fence for exactly that worker's registration and from then on
 * refuses that registration's reads. Let go (SIGCONT), the worker registers again and reads again (the positive
 * control, in the same run), every read the server refused named the fenced registration, and the other worker is
 * never refused; the job completes. Whether the resumed worker sends a read under its old registration at all
 * depends on whether its feed had room when it froze (a worker whose consumer is the bottleneck has none), so that
 * refusal is proved deterministically by {@code UdpTransportTest}, not here. (Which steps reached a consumer is
 * {@code PausedWorkerIT}'s audit.)
 */
class FencedReadsIT
{
    private static final int MIB = 1024 * 1024;
    private static final int KIB = 1024;
    private static final int EPOCHS = 3;
    private static final int PAUSED = 1;
    private static final long PAUSE_MS = 3000;
    private static final Pattern FENCE_LINE =
        Pattern.compile("fenced worker rank (\\d+) \\(member \\d+, registration (-?\\d+)\\)");
    private static final Pattern REFUSAL_LINE = Pattern.compile("worker rank (\\d+)'s registration (-?\\d+) is fenced");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    @Test
    void aWorkerPausedPastItsLeaseIsFencedAtTheDataServerItsOldReadsRefusedUntilItRegistersAgain() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 128 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.workers(2, "--step-time", "100000");
            final StokerProcesses.Node submit = run.submit(2, EPOCHS);
            final StokerProcesses.Node paused = run.workers.get(PAUSED);
            final String chunksRead = "worker rank " + PAUSED + ": chunks read (udp)";

            run.awaitAcks(PAUSED, 5);
            paused.signal("STOP");
            Thread.sleep(PAUSE_MS);
            assertTrue(run.coordinator.log().contains("lease of worker rank " + PAUSED),
                "the coordinator ended the paused worker's lease:\n" + run.coordinator.log());
            final StokerProcesses.Node server = run.servers.get(0);
            server.awaitLog("fenced worker rank " + PAUSED, ClusterRun.START);
            paused.signal("CONT");

            paused.awaitLog("registered again", ClusterRun.START);
            final long readBefore = run.workerCounters(PAUSED).value(chunksRead);
            final long deadline = System.nanoTime() + ClusterRun.RUN.toNanos();
            while (run.workerCounters(PAUSED).value(chunksRead) <= readBefore)
            {
                assertTrue(System.nanoTime() < deadline, "the worker read again once registered again:\n" +
                    paused.log());
                Thread.sleep(20);
            }
            final RemoteCounters serverCounters = run.serverCounters(0);
            assertEquals(1, serverCounters.value("data server: worker registrations fenced"),
                "one registration fenced:\n" + server.log());
            final long refused = serverCounters.value("data server: reads refused (lease ended)");
            assertEquals(0, run.workerCounters(0).value("worker rank 0: read failures"), "the live worker: " +
                run.workers.get(0).log());

            assertEquals(0, submit.awaitExit(ClusterRun.RUN), submit.log());
            for (final StokerProcesses.Node worker : run.workers)
            {
                assertEquals(0, worker.awaitExit(ClusterRun.RUN), worker.log());
            }
            run.assertSubmitReported(submit, EPOCHS);
            final String serverLog = server.log();
            final Matcher fence = FENCE_LINE.matcher(serverLog);
            assertTrue(fence.find(), serverLog);
            assertEquals(PAUSED, Integer.parseInt(fence.group(1)), "the fence names the paused worker's rank");
            final String registration = fence.group(2);
            assertFalse(fence.find(), "exactly one fence: " + serverLog);
            final Matcher refusal = REFUSAL_LINE.matcher(serverLog);
            int refusalLines = 0;
            while (refusal.find())
            {
                refusalLines++;
                assertEquals(PAUSED + " " + registration, refusal.group(1) + " " + refusal.group(2),
                    "a refusal names the fenced registration:\n" + serverLog);
            }
            assertEquals(refused > 0, refusalLines > 0, "refusals counted and logged alike:\n" + serverLog);
            assertFalse(serverLog.contains("worker rank 0's registration"), "the live worker was never refused:\n" +
                serverLog);
        }
    }
}
