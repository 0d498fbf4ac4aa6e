package io.stoker.transport.rdma;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection's key table as the worker reads it: every key, even 0 and -1, and nothing from a table that is not
 * whole.
 */
class RdmaKeyTableTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RdmaKeyTable.length(4) + 16]);
    private final Long2LongHashMap keys = RdmaKeyTable.newKeys();

    @Test
    void everyKeyOfAWholeTableIsRead()
    {
        final int length = RdmaKeyTable.write(buffer, 4, new int[] {0, 7, 9}, new int[] {0x1234, 0, -1}, 3);
        assertEquals(RdmaKeyTable.length(3), length);

        assertNull(RdmaKeyTable.read(buffer, 4, length, keys));
        assertEquals(0x1234, keys.get(0));
        assertEquals(0, keys.get(7));
        assertEquals(0xffff_ffffL, keys.get(9));
        assertEquals(RdmaKeyTable.NO_KEY, keys.get(1));
    }

    @Test
    void aTableThatIsNotWholeGivesNoKeys()
    {
        final int length = RdmaKeyTable.write(buffer, 0, new int[] {0, 1}, new int[] {5, 6}, 2);
        assertNull(RdmaKeyTable.read(buffer, 0, length, keys), "positive control");
        assertEquals(2, keys.size());

        assertTrue(RdmaKeyTable.read(buffer, 0, length - 1, keys).contains("claims 2 regions in 23 bytes"));
        assertEquals(0, keys.size());
        assertTrue(RdmaKeyTable.read(buffer, 0, 4, keys).contains("is not a key table"));

        buffer.putInt(4, -1, ByteOrder.LITTLE_ENDIAN);
        assertTrue(RdmaKeyTable.read(buffer, 0, length, keys).contains("claims 4294967295 regions"));
        buffer.putInt(4, RdmaKeyTable.MAX_REGIONS + 1, ByteOrder.LITTLE_ENDIAN);
        assertTrue(RdmaKeyTable.read(buffer, 0, RdmaKeyTable.length(RdmaKeyTable.MAX_REGIONS + 1), keys)
            .contains("claims 16385 regions"));
        buffer.putInt(0, 0, ByteOrder.LITTLE_ENDIAN);
        assertTrue(RdmaKeyTable.read(buffer, 0, length, keys).contains("is not a key table"));
        assertEquals(0, keys.size());
    }
}
