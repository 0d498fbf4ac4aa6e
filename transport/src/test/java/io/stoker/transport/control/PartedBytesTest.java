package io.stoker.transport.control;

import io.stoker.dataset.DatasetException;
import io.stoker.transport.wire.MessageLimits;
import org.junit.jupiter.api.Test;

import static io.stoker.transport.control.PartedBytes.PART_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartedBytesTest
{
    private static final String NAME = "manifest of dataset \"d\"";

    @Test
    void aWholeIsCompleteOnlyOnceEveryPartArrivedInAnyOrderAndAPartSentTwiceCountsOnce()
    {
        final int total = 2 * PART_LENGTH + 7;
        final byte[] whole = new byte[total];
        for (int i = 0; i < total; i++)
        {
            whole[i] = (byte)(i * 31);
        }
        final PartedBytes parted = new PartedBytes(total);
        final long[] order = { 2L * PART_LENGTH, 0, 2L * PART_LENGTH, PART_LENGTH };
        for (int i = 0; i < order.length; i++)
        {
            final int length = (int)Math.min(PART_LENGTH, total - order[i]);
            PartedBytes.checkPart(NAME, total, order[i], length);
            parted.buffer().putBytes((int)order[i], whole, (int)order[i], length);
            final boolean complete = parted.received(order[i]);
            assertTrue(complete == (i == order.length - 1), "complete only with the last missing part: part " + i);
        }
        final byte[] assembled = new byte[total];
        System.arraycopy(parted.byteArray(), 0, assembled, 0, total);
        assertArrayEquals(whole, assembled);
    }

    @Test
    void aPartThatDoesNotFitItsAnnouncedWholeIsRefusedNamingTheWholeAndTheOffset()
    {
        final long total = PART_LENGTH + 10L;
        assertDoesNotThrow(() -> PartedBytes.checkPart(NAME, total, 0, PART_LENGTH), "the positive control");
        assertDoesNotThrow(() -> PartedBytes.checkPart(NAME, total, PART_LENGTH, 10));
        refused(0, 0, 0);
        refused(MessageLimits.MAX_MANIFEST_LENGTH + 1L, 0, PART_LENGTH);
        refused(0xFFFF_FFFFL, 0, PART_LENGTH);
        refused(total, 1, PART_LENGTH);
        refused(total, 2L * PART_LENGTH, 10);
        refused(total, PART_LENGTH, 11);
        refused(total, 0, PART_LENGTH - 1);
    }

    private static void refused(final long total, final long offset, final int length)
    {
        final DatasetException ex = assertThrows(DatasetException.class,
            () -> PartedBytes.checkPart(NAME, total, offset, length));
        assertTrue(ex.getMessage().startsWith(NAME + ": offset " + offset + ": "), ex.getMessage());
    }
}
