package io.stoker.transport.control;

import io.stoker.dataset.DatasetException;
import io.stoker.transport.wire.MessageLimits;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.BitSet;

/**
 * A blob sent in parts (a data server's manifest, a job's dataset layout) put together as its parts arrive, in any
 * order: every part but the last is {@link #PART_LENGTH} bytes, and each is checked against the length the first
 * announced before a byte of it is copied. It grows only as parts arrive, never past
 * {@link MessageLimits#MAX_MANIFEST_LENGTH}.
 */
final class PartedBytes
{
    /**
     * Bytes per part: every part but the last has exactly this many.
     */
    static final int PART_LENGTH = MessageLimits.MAX_MANIFEST_PART_LENGTH;

    private final int totalLength;
    private final int parts;
    private final ExpandableArrayBuffer bytes = new ExpandableArrayBuffer(PART_LENGTH);
    private final BitSet received = new BitSet();

    /**
     * @param totalLength the whole's length, checked by {@link #checkPart}.
     */
    PartedBytes(final int totalLength)
    {
        this.totalLength = totalLength;
        this.parts = (totalLength + PART_LENGTH - 1) / PART_LENGTH;
    }

    /**
     * Check a part's place before anything is held for it.
     *
     * @param name        what the whole is, for the exception ({@code manifest of dataset "..."}).
     * @param totalLength the whole's announced length (unsigned on the wire).
     * @param partOffset  where the part starts (unsigned on the wire).
     * @param length      the part's length.
     * @throws DatasetException naming the whole and the offset when the length is out of bounds or the part does not
     *                          fit it.
     */
    static void checkPart(final String name, final long totalLength, final long partOffset, final int length)
    {
        if (totalLength < 1 || totalLength > MessageLimits.MAX_MANIFEST_LENGTH)
        {
            throw new DatasetException(name, partOffset,
                "announced length " + totalLength + " is not within 1.." + MessageLimits.MAX_MANIFEST_LENGTH);
        }
        if (partOffset % PART_LENGTH != 0 || partOffset >= totalLength ||
            length != Math.min(PART_LENGTH, totalLength - partOffset))
        {
            throw new DatasetException(name, partOffset, "a part of " + length + " bytes does not fit a whole of " +
                totalLength + " in parts of " + PART_LENGTH);
        }
    }

    /**
     * @return the whole's length.
     */
    int totalLength()
    {
        return totalLength;
    }

    /**
     * @return where a part's bytes go, at its offset.
     */
    MutableDirectBuffer buffer()
    {
        return bytes;
    }

    /**
     * The part at {@code partOffset} was copied into {@link #buffer()}.
     *
     * @return true when every part has arrived.
     */
    boolean received(final long partOffset)
    {
        received.set((int)(partOffset / PART_LENGTH));
        return received.cardinality() >= parts;
    }

    /**
     * @return the whole's bytes; valid once every part has arrived.
     */
    byte[] byteArray()
    {
        return bytes.byteArray();
    }
}
