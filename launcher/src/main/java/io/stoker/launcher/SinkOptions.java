package io.stoker.launcher;

import io.stoker.worker.SinkFactory;
import io.stoker.worker.gpu.Cuda;
import io.stoker.worker.gpu.GpuSinkFactory;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * Where a worker's chunks go ({@code --sink} and the options that go with it), shared by {@code stoker local} and
 * {@code stoker worker}: checked before any work, so a sink that cannot be used (no CUDA device) stops the command
 * at once, in one line.
 */
final class SinkOptions
{
    static final String HOST = "host";
    static final String GPU = "gpu";
    static final String SHM = "shm";
    static final String SHM_GPU = "shm-gpu";

    @Option(names = "--sink", defaultValue = HOST, paramLabel = "host|gpu|shm|shm-gpu",
        description = "Where chunks go: host (the pool's buffers themselves), gpu (copied from pinned memory to " +
        "device memory; needs a CUDA device), shm (the pool in shared memory, the batches handed to a consumer in " +
        "another process, e.g. Python, through --shm-dir) or shm-gpu (copied to device slots exported as CUDA IPC " +
        "handles, the batches handed to a consumer in another process through --shm-dir; needs a CUDA device). " +
        "Default: ${DEFAULT-VALUE}.")
    String sink = HOST;

    @Option(names = "--shm-dir", paramLabel = "DIR",
        description = "With --sink shm or shm-gpu: where the channel (and the shm pool) go; stoker local puts " +
        "rank r in DIR/rank-r. Default: /dev/shm/stoker-PID.")
    Path shmDir;

    @Option(names = "--consumer-lease", defaultValue = "10000", paramLabel = "MS",
        description = "With --sink shm or shm-gpu: a consumer whose heartbeat stops this long is taken for dead, " +
        "and the worker stops without acknowledging what it did not release. Default: ${DEFAULT-VALUE}.")
    long consumerLeaseMs = 10_000;

    @Option(names = "--device", paramLabel = "N",
        description = "With --sink gpu or shm-gpu: the CUDA device (default: rank r on device r %% visible " +
        "devices).")
    Integer device;

    @Option(names = "--verify-on-device",
        description = "With --sink gpu or shm-gpu: checksum every chunk on the device and compare with the host's " +
        "checksum of the same bytes; the summary names the chunks that differ.")
    boolean verifyOnDevice;

    /**
     * @return true for a sink that copies to a CUDA device.
     */
    boolean isGpu()
    {
        return GPU.equals(sink) || SHM_GPU.equals(sink);
    }

    /**
     * @return true for a sink whose consumer is in another process.
     */
    boolean isShm()
    {
        return SHM.equals(sink) || SHM_GPU.equals(sink);
    }

    /**
     * Check the options against each other and, for a GPU sink, that a CUDA device can be used.
     *
     * @throws IllegalArgumentException naming the option that does not fit.
     * @throws IllegalStateException "no CUDA device: REASON" for a GPU sink where CUDA cannot be used.
     */
    void check()
    {
        if (!HOST.equals(sink) && !GPU.equals(sink) && !SHM.equals(sink) && !SHM_GPU.equals(sink))
        {
            throw new IllegalArgumentException("--sink must be host, gpu, shm or shm-gpu, was " + sink);
        }
        if (!isGpu() && (null != device || verifyOnDevice))
        {
            throw new IllegalArgumentException("--device and --verify-on-device need --sink gpu or shm-gpu");
        }
        if (!isShm() && null != shmDir)
        {
            throw new IllegalArgumentException("--shm-dir needs --sink shm or shm-gpu");
        }
        if (null != device && device < 0)
        {
            throw new IllegalArgumentException("--device must not be negative, was " + device);
        }
        if (isGpu())
        {
            final String reason = Cuda.unavailableReason();
            if (null != reason)
            {
                throw new IllegalStateException("no CUDA device: " + reason);
            }
        }
    }

    /**
     * @param rank a rank.
     * @return the CUDA device the rank's sink copies to: --device, else rank % visible devices.
     */
    int deviceOf(final int rank)
    {
        return null != device ? device : rank % Cuda.deviceCount();
    }

    /**
     * @param rank a rank; {@link #check()} passed.
     * @return the rank's GPU sink factory.
     */
    GpuSinkFactory gpuSink(final int rank)
    {
        return new GpuSinkFactory(deviceOf(rank)).verifyOnDevice(verifyOnDevice);
    }

    /**
     * Check the options, then make each rank's sink factory up front: with {@code shm} the host sink, which the
     * shared-memory channel puts in shared memory; with {@code shm-gpu} the GPU sink, whose slots it exports.
     *
     * @param ranks the ranks.
     * @return each rank's factory.
     */
    IntFunction<SinkFactory<?>> sinks(final int ranks)
    {
        check();
        if (!isGpu())
        {
            return rank -> SinkFactory.HOST;
        }
        final GpuSinkFactory[] factories = new GpuSinkFactory[ranks];
        for (int rank = 0; rank < ranks; rank++)
        {
            factories[rank] = gpuSink(rank);
        }
        return rank -> factories[rank];
    }

    /**
     * @return the --shm-dir, or /dev/shm/stoker-PID.
     */
    Path shmDirectory()
    {
        return null != shmDir ? shmDir : Path.of("/dev/shm", "stoker-" + ProcessHandle.current().pid());
    }
}
