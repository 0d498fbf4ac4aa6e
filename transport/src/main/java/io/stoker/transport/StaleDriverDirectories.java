package io.stoker.transport;

import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;

import java.io.File;
import java.nio.MappedByteBuffer;

/**
 * Removes the directories of embedded media drivers that Stoker processes left behind when they died without their
 * shutdown (kill -9, the OOM killer, a power cut): tens of MB of {@code /dev/shm} each, which nothing else frees. A
 * directory is stale when its driver's heartbeat is older than the driver timeout and the process named in its
 * counters file is gone; a live process that is only paused keeps its directory.
 */
public final class StaleDriverDirectories
{
    /**
     * Prefix of the directories Stoker's embedded drivers make, see {@link TransportDefaults#tempAeronDirectory}.
     */
    public static final String PREFIX = "stoker-";

    private StaleDriverDirectories()
    {
    }

    /**
     * Remove the stale Stoker driver directories in a parent directory.
     *
     * @param parent          where embedded drivers make their directories.
     * @param driverTimeoutMs how old a heartbeat must be for the driver to count as gone.
     * @return directories removed.
     */
    public static int sweep(final File parent, final long driverTimeoutMs)
    {
        final File[] candidates = parent.listFiles((dir, name) -> name.startsWith(PREFIX));
        int removed = 0;
        if (null != candidates)
        {
            for (final File candidate : candidates)
            {
                if (isStale(candidate, driverTimeoutMs))
                {
                    IoUtil.delete(candidate, true);
                    removed += candidate.exists() ? 0 : 1;
                }
            }
        }
        return removed;
    }

    private static boolean isStale(final File directory, final long driverTimeoutMs)
    {
        final File cncFile = new File(directory, CncFileDescriptor.CNC_FILE);
        if (!cncFile.isFile() || cncFile.length() < CncFileDescriptor.META_DATA_LENGTH)
        {
            return false;
        }
        final long pid;
        final MappedByteBuffer cnc = IoUtil.mapExistingFile(cncFile, "cnc");
        try
        {
            final DirectBuffer metaData = CncFileDescriptor.createMetaDataBuffer(cnc);
            pid = metaData.getLong(CncFileDescriptor.PID_FIELD_OFFSET);
        }
        finally
        {
            IoUtil.unmap(cnc);
        }
        return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) &&
            !CommonContext.isDriverActive(directory, driverTimeoutMs, message -> {});
    }
}
