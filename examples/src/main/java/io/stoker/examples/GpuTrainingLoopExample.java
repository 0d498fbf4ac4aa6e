package io.stoker.examples;

import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.launcher.LocalCluster;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.Batch;
import io.stoker.worker.gpu.Cuda;
import io.stoker.worker.gpu.CudaDevice;
import io.stoker.worker.gpu.DeviceChunk;
import io.stoker.worker.gpu.GpuSinkFactory;
import io.stoker.worker.gpu.WordSumKernel;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A training loop whose batches arrive in GPU memory: a local feed of whole chunks with the GPU sink, and per
 * batch a "training step" that runs a kernel over its chunk's device pointer on the loop's own stream (here it
 * folds the chunk's words into a running value that stands in for a loss), waits for the step, and
 * only then lets the chunk go, since the next copy overwrites its slot. At the end it prints the figures,
 * and the sink's own on-device checksums.
 * <p>
 * In a real job the loop runs on its own thread with
 * {@code EmbeddedWorker.start(options, new GpuSinkFactory(device))}, calls {@link CudaDevice#makeCurrent()}
 * once on that thread, and takes batches with {@code worker.feed().take(idle)}.
 * <p>
 * Run {@code ./mvnw -B -q -pl examples exec:exec@gpu-training-loop} after a build. Without a CUDA device
 * it prints the reason in one line and exits 0.
 */
public final class GpuTrainingLoopExample implements AutoCloseable
{
    private final CudaDevice device;
    private final WordSumKernel model;
    private final CUstream stream = new CUstream();
    private final CUdeviceptr loss = new CUdeviceptr();
    private long steps;
    private long records;

    private GpuTrainingLoopExample(final CudaDevice device)
    {
        this.device = device;
        model = new WordSumKernel(device);
        Cuda.check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        Cuda.check(JCudaDriver.cuMemAlloc(loss, Long.BYTES), "cuMemAlloc");
        Cuda.check(JCudaDriver.cuMemsetD32(loss, 0, 2), "cuMemsetD32");
    }

    /**
     * Run the loop, or say in one line why there is no CUDA device.
     *
     * @param args none.
     * @throws Exception when the dataset cannot be written.
     */
    public static void main(final String[] args) throws Exception
    {
        final String reason = Cuda.unavailableReason();
        if (null != reason)
        {
            System.out.println("gpu training loop: no CUDA device: " + reason);
            return;
        }

        final Path directory = Files.createTempDirectory("stoker-gpu-example-");
        try
        {
            DatasetGenerator.generate(directory, FormatSpec.parse("fixed:4096"), 256L << 20, 1);
            final Manifest manifest = DatasetIndexer.index(directory, null, DatasetIndexer.DEFAULT_CHUNK_SIZE);
            final GpuSinkFactory sink = new GpuSinkFactory(0).verifyOnDevice(true);
            final int epochs = 3;
            try (GpuTrainingLoopExample loop = new GpuTrainingLoopExample(sink.device());
                LocalCluster cluster = new LocalCluster(
                    new LocalCluster.Settings(directory, manifest).epochs(epochs).sink(sink),
                    rank -> (r, batch) -> loop.step(batch)))
            {
                if (!cluster.awaitCompletion(TimeUnit.MINUTES.toNanos(5), () -> {}))
                {
                    throw new IllegalStateException("the feed did not complete: " + cluster.failure());
                }
                final double seconds = cluster.elapsedNs() / 1e9;
                System.out.printf("gpu training loop on %s: %d steps over %d records in %.2f s, %.2f GB/s; " +
                    "waited for data %.2f%% of the time; loss %016x%n",
                    sink.description(), loop.steps, loop.records, seconds,
                    cluster.workerTotal(CounterType.BYTES_DELIVERED) / 1e9 / seconds,
                    100.0 * cluster.workerTotal(CounterType.CONSUMER_WAIT_NS) / cluster.elapsedNs(), loop.loss());
                System.out.printf("checksums on the device: %d chunks matched the host's, %d differed %s%n",
                    sink.checks().matched(), sink.checks().mismatches().size(), sink.checks().mismatches());
            }
        }
        finally
        {
            deleteRecursively(directory);
        }
    }

    /**
     * One training step: the batch's chunks are on the device, the kernel reads them there.
     */
    private void step(final Batch<?> batch)
    {
        device.makeCurrent();
        for (int i = 0; i < batch.chunkCount(); i++)
        {
            final DeviceChunk chunk = (DeviceChunk)batch.chunkAt(i);
            model.launch(chunk.devicePointer(), chunk.length(), loss, stream);
        }
        Cuda.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        steps++;
        records += batch.size();
    }

    private long loss()
    {
        final long[] value = new long[1];
        Cuda.check(JCudaDriver.cuMemcpyDtoH(Pointer.to(value), loss, Long.BYTES), "cuMemcpyDtoH");
        return value[0];
    }

    @Override
    public void close()
    {
        device.makeCurrent();
        JCudaDriver.cuMemFree(loss);
        JCudaDriver.cuStreamDestroy(stream);
        model.close();
    }

    private static void deleteRecursively(final Path directory) throws IOException
    {
        try (Stream<Path> paths = Files.walk(directory))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
