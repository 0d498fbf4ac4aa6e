package io.stoker.benchmarks;

import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scale simulation runs correctly on a tiny grid point; its speed is not asserted, nor its heap per chunk: at
 * 1,000 chunks the coordinator's share (a few hundred KB) is within what the other threads allocate between the two
 * readings, so it can even come out negative.
 */
final class ScaleSimulationTest
{
    private static final long LEASE_MS = 3_000;

    @Test
    void everyStepIsCountedExactlyOnceAndTheDeadWorkersStepsGoToTheOthersAfterItsLease(@TempDir final Path dir)
        throws IOException
    {
        final Path ackLog = dir.resolve("acks.log");
        final ScaleSimulation.Point point = ScaleSimulation.run(new ScaleSimulation.Settings(4, 1_000, 64,
            new BatchSpec(64, 4, DropPolicy.DROP_LAST), 2, 2, LEASE_MS, 300, dir.resolve("checkpoints"), ackLog));

        final List<String> lines = Files.readAllLines(ackLog);
        final Set<String> steps = new HashSet<>();
        int byRankZero = 0;
        for (final String line : lines)
        {
            final String[] fields = line.trim().split(" ");
            assertTrue(steps.add(fields[0] + " " + fields[1] + " " + fields[2] + " " + fields[3]), "twice: " + line);
            if ("0".equals(fields[4]) && !"0".equals(fields[0]))
            {
                byRankZero++;
            }
        }
        assertEquals(ScaleSimulation.EPOCHS * 1_000L, point.plannedSteps(), "1,000 chunks of 64 in batches of 64");
        assertTrue(point.completed(), point.toString());
        assertEquals(point.plannedSteps(), lines.size(), "every planned step counted once");
        assertEquals(point.plannedSteps(), point.acknowledged());
        assertEquals(0, byRankZero, "the dead rank 0 acknowledged nothing after epoch 0");
        assertTrue(point.reassignedSteps() > 0, "rank 0 held steps of epochs 1 and 2: " + point);
        assertTrue(point.firstReassignedMs() >= LEASE_MS, "not before its lease ended: " + point);
        assertEquals(0, point.extraRegistrations(), "no worker lost its lease but the dead one: " + point);
        assertEquals(0, point.invalidMessages(), "the coordinator refused nothing: " + point);
        final long manifestBytes = ScaleSimulation.manifest(1_000, 64).toBytes().length;
        assertTrue(point.layoutBytesPerWorker() > 0 && point.layoutBytesPerWorker() < manifestBytes / 4,
            "the layout and the advertisements, not the manifest of 1,000 chunks: " + point);
        assertTrue(point.descriptorBytesPerEpoch() > 0, point.toString());
        assertTrue(point.assignmentBytesPerEpoch() > 0, point.toString());
    }
}
