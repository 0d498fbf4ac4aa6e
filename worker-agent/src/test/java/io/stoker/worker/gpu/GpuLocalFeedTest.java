package io.stoker.worker.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A local feed into the GPU sink on device 0: every chunk is summed on the device by the consumer, on
 * its own thread, and compared with the sum of the same bytes in the shard file; the sink verifies on
 * the device too. Skipped, with the reason, where there is no CUDA device.
 */
@ExtendWith(RequiresCuda.class)
class GpuLocalFeedTest
{
    private static final int EPOCHS = 2;

    @TempDir
    Path directory;

    @Test
    void everyChunkArrivesOnTheDeviceIntactExactlyOncePerEpoch() throws Exception
    {
        final LocalFeedHarness feed = new LocalFeedHarness(directory);
        final GpuSinkFactory sink = new GpuSinkFactory(0).verifyOnDevice(true);
        try (WordSumKernel kernel = new WordSumKernel(sink.device()))
        {
            feed.feedAndCheck(sink, EPOCHS, chunk ->
            {
                assertEquals(0, chunk.deviceId());
                return kernel.sum(chunk.devicePointer(), chunk.length());
            });
        }
        assertEquals(List.of(), sink.checks().mismatches(), "the sink's own verification");
        assertEquals((long)EPOCHS * feed.chunkCount(), sink.checks().matched());
    }
}
