package io.stoker.launcher;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;
import com.sun.management.VMOption;
import io.stoker.dataset.Sizes;
import io.stoker.worker.DirectMemoryAllocator;
import org.agrona.BitUtil;

import java.lang.management.ManagementFactory;

/**
 * The memory a local run's buffer pools take, checked before anything starts. Each worker allocates, when its job
 * starts, one pool of {@code --buffers} buffers, each the dataset's largest chunk rounded up to a page: direct memory
 * for the host sink, pinned memory for the GPU sink. Pools the process cannot hold fail mid-run otherwise, with an
 * {@link OutOfMemoryError} or a collector thrashing until the Aeron client's conductor times out.
 */
final class BufferBudget
{
    private BufferBudget()
    {
    }

    /**
     * Refuses pools this JVM and machine cannot hold.
     *
     * @param workers      worker agents, one pool each.
     * @param buffers      buffers per pool.
     * @param largestChunk bytes of the dataset's largest chunk.
     * @param pinned       true when the pools are pinned host memory (GPU sink), false for direct memory.
     * @throws IllegalArgumentException in one line naming the figures and the options to change.
     */
    static void check(final int workers, final int buffers, final int largestChunk, final boolean pinned)
    {
        final long bufferLength = BitUtil.align((long)largestChunk, DirectMemoryAllocator.PAGE_SIZE);
        final long pool = bufferLength * buffers;
        final String buffersText = "--buffers " + buffers + " x " + Sizes.format(bufferLength) + " (the largest chunk)";
        if (pool > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(buffersText + " = " + Sizes.format(pool) + ", more than the 2 GiB a " +
                "worker's buffer pool can hold: use fewer --buffers or a smaller --chunk-size");
        }

        final long physical =
            ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class).getTotalMemorySize();
        final long direct = maxDirectMemory();
        final long total = workers * (pool + (pinned ? 0 : DirectMemoryAllocator.PAGE_SIZE));
        final String figures = "--workers " + workers + " x " + buffersText + " = " + Sizes.format(total) +
            " of buffers, more than the ";
        if (total > physical)
        {
            throw new IllegalArgumentException(figures + Sizes.format(physical) + " of memory of this machine: " +
                "use fewer --workers or --buffers, or a smaller --chunk-size");
        }
        if (!pinned && total > direct)
        {
            throw new IllegalArgumentException(figures + Sizes.format(direct) + " of direct memory this JVM may " +
                "allocate: use fewer --workers or --buffers, a smaller --chunk-size, or give the JVM more with " +
                "-XX:MaxDirectMemorySize (STOKER_JAVA_OPTS)");
        }
    }

    /**
     * What {@code ByteBuffer.allocateDirect} may take in all: {@code -XX:MaxDirectMemorySize} when given, else the
     * heap's maximum, as the JDK decides it.
     */
    private static long maxDirectMemory()
    {
        final VMOption option = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
            .getVMOption("MaxDirectMemorySize");
        return option.getOrigin() == VMOption.Origin.DEFAULT ?
            Runtime.getRuntime().maxMemory() : Long.parseLong(option.getValue());
    }
}
