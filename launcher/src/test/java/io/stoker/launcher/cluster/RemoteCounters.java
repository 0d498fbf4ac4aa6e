package io.stoker.launcher.cluster;

import io.aeron.AeronCounters;
import io.aeron.CncFileDescriptor;
import io.aeron.driver.status.SystemCounterDescriptor;
import io.stoker.transport.TransportDefaults;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.ToLongFunction;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reads another Stoker process's counters from its media driver's counters file, as {@code stoker stat}
 * does: Stoker's counters by label, the driver's invalid packets, and how many publications it holds.
 */
final class RemoteCounters
{
    private final File cncFile;

    /**
     * @param role the process's driver directory role, e.g. {@code coordinator}, {@code server}, {@code worker-0}.
     * @param pid  its pid.
     */
    RemoteCounters(final String role, final long pid)
    {
        cncFile = new File(
            TransportDefaults.tempAeronDirectory("stoker-" + role + "-" + pid), CncFileDescriptor.CNC_FILE);
    }

    /**
     * @param label the end of the counter's label, e.g. {@code "coordinator: invalid messages"}.
     * @return its value.
     */
    long value(final String label)
    {
        return read(counters ->
        {
            final long[] value = { Long.MIN_VALUE };
            counters.forEach((counterId, typeId, keyBuffer, counterLabel) ->
            {
                if (counterLabel.endsWith(label))
                {
                    value[0] = counters.getCounterValue(counterId);
                }
            });
            if (Long.MIN_VALUE == value[0])
            {
                fail("no counter '" + label + "' in " + cncFile);
            }
            return value[0];
        });
    }

    /**
     * @return the media driver's count of packets that were not Aeron frames.
     */
    long invalidPackets()
    {
        return read(counters ->
        {
            final long[] value = { 0 };
            counters.forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (AeronCounters.DRIVER_SYSTEM_COUNTER_TYPE_ID == typeId &&
                    SystemCounterDescriptor.INVALID_PACKETS.id() == keyBuffer.getInt(0))
                {
                    value[0] = counters.getCounterValue(counterId);
                }
            });
            return value[0];
        });
    }

    /**
     * @return publications the process's driver holds (one publisher-limit counter each).
     */
    long publications()
    {
        return read(counters ->
        {
            final long[] count = { 0 };
            counters.forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (AeronCounters.DRIVER_PUBLISHER_LIMIT_TYPE_ID == typeId)
                {
                    count[0]++;
                }
            });
            return count[0];
        });
    }

    /**
     * @return images the process's driver holds: one subscriber position per image of each subscription.
     */
    long images()
    {
        return read(counters ->
        {
            final long[] count = { 0 };
            counters.forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (AeronCounters.DRIVER_SUBSCRIBER_POSITION_TYPE_ID == typeId)
                {
                    count[0]++;
                }
            });
            return count[0];
        });
    }

    private long read(final ToLongFunction<CountersReader> reading)
    {
        if (!cncFile.exists())
        {
            fail("no counters file " + cncFile);
        }
        final MappedByteBuffer cnc = IoUtil.mapExistingFile(cncFile, "cnc");
        try
        {
            final DirectBuffer metaData = CncFileDescriptor.createMetaDataBuffer(cnc);
            return reading.applyAsLong(new CountersReader(
                CncFileDescriptor.createCountersMetaDataBuffer(cnc, metaData),
                CncFileDescriptor.createCountersValuesBuffer(cnc, metaData), StandardCharsets.US_ASCII));
        }
        finally
        {
            IoUtil.unmap(cnc);
        }
    }
}
