package io.stoker.transport.data;

import org.agrona.CloseHelper;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.AtomicBuffer;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Reads a same-host server's regions by mapping its shard files read-only and copying each range
 * into the destination: one copy, no work for the server. Regions are mapped on first use and stay
 * mapped; the copies happen in {@link #poll}, in the order the reads were accepted.
 */
public final class LocalDataReader implements DataReader
{
    private final ServerAdvertisement server;
    private final Int2ObjectHashMap<MappedRegion> mapped = new Int2ObjectHashMap<>();
    private final long[] readIds;
    private final int[] regionIds;
    private final long[] offsets;
    private final int[] lengths;
    private final AtomicBuffer[] destinations;
    private final int[] destinationOffsets;
    private int head;
    private int count;

    /**
     * @param server           the same-host server whose regions to read.
     * @param maxReadsInFlight reads accepted before {@link #read} pushes back.
     */
    public LocalDataReader(final ServerAdvertisement server, final int maxReadsInFlight)
    {
        this.server = server;
        readIds = new long[maxReadsInFlight];
        regionIds = new int[maxReadsInFlight];
        offsets = new long[maxReadsInFlight];
        lengths = new int[maxReadsInFlight];
        destinations = new AtomicBuffer[maxReadsInFlight];
        destinationOffsets = new int[maxReadsInFlight];
    }

    @Override
    public TransportKind kind()
    {
        return TransportKind.LOCAL;
    }

    @Override
    public boolean read(
        final long readId,
        final int regionId,
        final long offset,
        final int length,
        final AtomicBuffer destination,
        final int destinationOffset)
    {
        if (count == readIds.length)
        {
            return false;
        }
        final int index = (head + count) % readIds.length;
        readIds[index] = readId;
        regionIds[index] = regionId;
        offsets[index] = offset;
        lengths[index] = length;
        destinations[index] = destination;
        destinationOffsets[index] = destinationOffset;
        count++;
        return true;
    }

    @Override
    public int poll(final ReadCompletionHandler handler)
    {
        final int work = count;
        while (count > 0)
        {
            final int index = head;
            head = (head + 1) % readIds.length;
            count--;
            final AtomicBuffer destination = destinations[index];
            destinations[index] = null;
            copy(index, destination, handler);
        }
        return work;
    }

    @Override
    public int inFlight()
    {
        return count;
    }

    /**
     * @return true: the files are on this host.
     */
    @Override
    public boolean isAvailable()
    {
        return true;
    }

    @Override
    public void close()
    {
        mapped.values().forEach(CloseHelper::quietClose);
        mapped.clear();
        count = 0;
    }

    private void copy(final int index, final AtomicBuffer destination, final ReadCompletionHandler handler)
    {
        final long readId = readIds[index];
        final int regionId = regionIds[index];
        final long offset = offsets[index];
        final int length = lengths[index];
        final String failure = check(regionId, offset, length, destination, destinationOffsets[index]);
        if (null != failure)
        {
            handler.onReadFailed(readId, failure);
            return;
        }
        mapped.get(regionId).copy(offset, length, destination, destinationOffsets[index]);
        handler.onReadComplete(readId);
    }

    /**
     * @return null when the read is valid and its region mapped, else why the read fails.
     */
    private String check(
        final int regionId, final long offset, final int length, final AtomicBuffer destination, final int dstOffset)
    {
        final ServerAdvertisement.Region advertised = server.region(regionId);
        if (null == advertised)
        {
            return "server " + server.serverId() + " does not export region " + regionId;
        }
        if (offset < 0 || length < 0 || offset > advertised.length() - length)
        {
            return "read [" + offset + ", " + (offset + length) + ") is outside region " + regionId + " of " +
                advertised.length() + " bytes";
        }
        if (dstOffset < 0 || (long)dstOffset + length > destination.capacity())
        {
            return "read of " + length + " bytes does not fit its destination at " + dstOffset;
        }
        if (!mapped.containsKey(regionId))
        {
            try
            {
                mapped.put(regionId, new MappedRegion(Path.of(advertised.path()), advertised.length()));
            }
            catch (final UncheckedIOException ex)
            {
                return ex.getMessage();
            }
        }
        return null;
    }
}
