package io.stoker.transport.rdma;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;

import java.nio.ByteOrder;

/**
 * The keys of one connection: what a data server sends a worker, once it proved itself, over the connection it
 * registered them for. The regions' addresses are those advertised (every registration of a mapping has its
 * address); only the keys differ between connections.
 * <p>
 * Layout, little-endian: magic (int32), count (int32), then {@code count} pairs of region id (int32) and rkey
 * (int32). At most {@link #MAX_REGIONS} regions: a server exports no more over rdma.
 */
final class RdmaKeyTable
{
    /**
     * Most regions one connection's table holds.
     */
    static final int MAX_REGIONS = 16384;

    /**
     * Bytes of the longest table.
     */
    static final int MAX_LENGTH = length(MAX_REGIONS);

    /**
     * What {@link #newKeys()} maps a region without a key to.
     */
    static final long NO_KEY = -1;

    private static final int MAGIC = 0x324b5253;
    private static final int HEADER = 2 * Integer.BYTES;
    private static final int ENTRY = 2 * Integer.BYTES;

    private RdmaKeyTable()
    {
    }

    /**
     * @return bytes of a table of {@code regions} regions.
     */
    static int length(final int regions)
    {
        return HEADER + regions * ENTRY;
    }

    /**
     * Write a table.
     *
     * @return its length.
     */
    static int write(
        final MutableDirectBuffer buffer, final int offset, final int[] regionIds, final int[] rkeys, final int count)
    {
        buffer.putInt(offset, MAGIC, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + Integer.BYTES, count, ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++)
        {
            final int entry = offset + HEADER + i * ENTRY;
            buffer.putInt(entry, regionIds[i], ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(entry + Integer.BYTES, rkeys[i], ByteOrder.LITTLE_ENDIAN);
        }
        return length(count);
    }

    /**
     * @return a map for {@link #read}: region id to rkey (as an unsigned int), {@link #NO_KEY} when absent.
     */
    static Long2LongHashMap newKeys()
    {
        return new Long2LongHashMap(NO_KEY);
    }

    /**
     * Read a table as it arrived into {@code keys} (cleared first).
     *
     * @param length bytes that arrived.
     * @return null when it is a whole table, otherwise why not.
     */
    static String read(final DirectBuffer buffer, final int offset, final int length, final Long2LongHashMap keys)
    {
        keys.clear();
        if (length < HEADER || MAGIC != buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN))
        {
            return "the server's answer of " + length + " bytes is not a key table";
        }
        final int count = buffer.getInt(offset + Integer.BYTES, ByteOrder.LITTLE_ENDIAN);
        if (count < 0 || count > MAX_REGIONS || length(count) != length)
        {
            return "the server's key table claims " + Integer.toUnsignedString(count) + " regions in " + length +
                " bytes";
        }
        for (int i = 0; i < count; i++)
        {
            final int entry = offset + HEADER + i * ENTRY;
            keys.put(buffer.getInt(entry, ByteOrder.LITTLE_ENDIAN),
                Integer.toUnsignedLong(buffer.getInt(entry + Integer.BYTES, ByteOrder.LITTLE_ENDIAN)));
        }
        return null;
    }
}
