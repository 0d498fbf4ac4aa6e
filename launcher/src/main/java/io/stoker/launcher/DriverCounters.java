package io.stoker.launcher;

import io.aeron.AeronCounters;
import io.aeron.CncFileDescriptor;
import io.aeron.driver.status.SystemCounterDescriptor;
import io.stoker.transport.status.CounterType;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The counters a Stoker process keeps in its media driver's counters file, read from outside the process as
 * AeronStat reads Aeron's: Stoker's own counters and the driver's count of invalid packets. What
 * {@code stoker stat} prints and the {@code --metrics} endpoint serves.
 */
final class DriverCounters implements AutoCloseable
{
    /**
     * Told of each counter.
     */
    @FunctionalInterface
    interface Visitor
    {
        /**
         * @param type        the Stoker counter type, or null for the media driver's invalid packets.
         * @param owner       who keeps it, e.g. {@code worker rank 0}, {@code coordinator}, {@code media driver}.
         * @param description what it counts, e.g. {@code bytes read (udp)}.
         * @param value       its value now.
         */
        void accept(CounterType type, String owner, String description, long value);
    }

    /**
     * Owner of the media driver's own counters.
     */
    static final String MEDIA_DRIVER = "media driver";

    private final File directory;
    private final MappedByteBuffer cnc;
    private final CountersReader counters;
    private final long pid;

    /**
     * Map the counters file of the media driver in a directory.
     *
     * @param directory the driver's directory.
     * @throws IllegalStateException when no media driver's counters file is there.
     */
    DriverCounters(final File directory)
    {
        this.directory = directory;
        final File cncFile = new File(directory, CncFileDescriptor.CNC_FILE);
        if (!cncFile.exists())
        {
            throw new IllegalStateException(directory + ": no media driver here");
        }
        cnc = IoUtil.mapExistingFile(cncFile, "cnc");
        final DirectBuffer metaData = CncFileDescriptor.createMetaDataBuffer(cnc);
        CncFileDescriptor.checkVersion(metaData.getInt(CncFileDescriptor.cncVersionOffset(0)));
        pid = metaData.getLong(CncFileDescriptor.PID_FIELD_OFFSET);
        counters = new CountersReader(
            CncFileDescriptor.createCountersMetaDataBuffer(cnc, metaData),
            CncFileDescriptor.createCountersValuesBuffer(cnc, metaData),
            StandardCharsets.US_ASCII);
    }

    /**
     * @return the driver's directory.
     */
    File directory()
    {
        return directory;
    }

    /**
     * @return the pid of the process that runs the driver.
     */
    long pid()
    {
        return pid;
    }

    /**
     * Visit Stoker's counters and the driver's invalid packets, in the order the counters were allocated.
     */
    void forEach(final Visitor visitor)
    {
        counters.forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (CounterType.isStoker(typeId))
            {
                final int colon = label.indexOf(": ");
                visitor.accept(CounterType.of(typeId), colon < 0 ? "" : label.substring(0, colon),
                    colon < 0 ? label : label.substring(colon + 2), counters.getCounterValue(counterId));
            }
            else if (AeronCounters.DRIVER_SYSTEM_COUNTER_TYPE_ID == typeId &&
                SystemCounterDescriptor.INVALID_PACKETS.id() == keyBuffer.getInt(0))
            {
                visitor.accept(null, MEDIA_DRIVER, label.toLowerCase(), counters.getCounterValue(counterId));
            }
        });
    }

    @Override
    public void close()
    {
        IoUtil.unmap(cnc);
    }
}
