package io.stoker.transport.rdma;

import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The lab's checks ({@link RdmaLabCheck}) on this machine's RDMA device, when it has one; skipped, with
 * what is missing, when not. {@code rdma-lab/run-feed-test.sh} runs them on Soft-RoCE.
 */
class RdmaDeviceTest
{
    @TempDir
    Path temp;

    @Test
    void readsOverRdmaAndFailsWrongKeysAndWrites() throws Exception
    {
        final RdmaCapability capability = RdmaCapability.probe(System.getProperty("stoker.rdma.address"));
        assumeTrue(capability.isAvailable(), () -> "needs an RDMA device: " + capability.unavailableReason() +
            " (rdma-lab/run-feed-test.sh runs these checks on Soft-RoCE)");

        DatasetGenerator.generate(temp, FormatSpec.fixed(4096), 8 << 20, 1, 4 << 20);
        final List<String> lines = new ArrayList<>();
        final boolean passed = RdmaLabCheck.run(temp, DatasetIndexer.loadOrIndex(temp, 1 << 20),
            capability.address(), 1, lines::add);
        assertTrue(passed, String.join("\n", lines));
    }
}
