package io.stoker.dataset.format;

import java.nio.ByteBuffer;

/**
 * Layout of a 512-byte tar header (ustar, with the GNU and pax extensions WebDataset shards use) and the parsing
 * and printing of its numeric fields.
 */
final class TarHeader
{
    static final int BLOCK = 512;
    static final int NAME_OFFSET = 0;
    static final int NAME_LENGTH = 100;
    static final int MODE_OFFSET = 100;
    static final int UID_OFFSET = 108;
    static final int GID_OFFSET = 116;
    static final int ID_LENGTH = 8;
    static final int SIZE_OFFSET = 124;
    static final int SIZE_LENGTH = 12;
    static final int MTIME_OFFSET = 136;
    static final int MTIME_LENGTH = 12;
    static final int CHECKSUM_OFFSET = 148;
    static final int CHECKSUM_LENGTH = 8;
    static final int TYPE_OFFSET = 156;
    static final int MAGIC_OFFSET = 257;
    static final int PREFIX_OFFSET = 345;
    static final int PREFIX_LENGTH = 155;

    static final byte TYPE_REGULAR = '0';
    static final byte TYPE_REGULAR_OLD = 0;
    static final byte TYPE_CONTIGUOUS = '7';
    static final byte TYPE_GNU_LONG_NAME = 'L';
    static final byte TYPE_GNU_LONG_LINK = 'K';
    static final byte TYPE_PAX = 'x';

    /** "ustar\0" then version "00": POSIX, where the prefix field extends the name. */
    private static final byte[] POSIX_MAGIC = { 'u', 's', 't', 'a', 'r', 0 };
    /** "ustar  \0": GNU, where the prefix field holds other things. */
    static final byte[] GNU_MAGIC = { 'u', 's', 't', 'a', 'r', ' ', ' ', 0 };
    /** Name GNU tar gives the 'L' entry carrying a long name. */
    static final byte[] GNU_LONG_LINK_NAME = { '.', '/', '.', '/', '@', 'L', 'o', 'n', 'g', 'L', 'i', 'n', 'k' };

    private TarHeader()
    {
    }

    /**
     * Parses a numeric field: octal digits with optional leading spaces or zeros and a trailing NUL or space, or
     * GNU's base-256 form (first byte 0x80) for values that do not fit.
     *
     * @return the value, or -1 when the field is not a number or is negative.
     */
    static long parseNumber(final ByteBuffer header, final int index, final int length)
    {
        final int first = header.get(index) & 0xFF;
        if ((first & 0x80) != 0)
        {
            if ((first & 0x40) != 0)
            {
                return -1;
            }

            long value = first & 0x3F;
            for (int i = 1; i < length; i++)
            {
                if (value > (Long.MAX_VALUE >>> 8))
                {
                    return -1;
                }

                value = (value << 8) | (header.get(index + i) & 0xFF);
            }

            return value;
        }

        int i = 0;
        while (i < length && (header.get(index + i) == ' ' || header.get(index + i) == 0))
        {
            i++;
        }

        long value = 0;
        for (; i < length; i++)
        {
            final byte b = header.get(index + i);
            if (b == ' ' || b == 0)
            {
                break;
            }

            if (b < '0' || b > '7' || value > (Long.MAX_VALUE >>> 3))
            {
                return -1;
            }

            value = (value << 3) | (b - '0');
        }

        for (; i < length; i++)
        {
            final byte b = header.get(index + i);
            if (b != ' ' && b != 0)
            {
                return -1;
            }
        }

        return value;
    }

    /**
     * Prints a number as zero-padded octal digits filling the field but its last byte, which is NUL.
     */
    static void putOctal(final ByteBuffer header, final int index, final int length, final long value)
    {
        long rest = value;
        header.put(index + length - 1, (byte)0);
        for (int i = index + length - 2; i >= index; i--)
        {
            header.put(i, (byte)('0' + (rest & 7)));
            rest >>>= 3;
        }

        if (rest != 0)
        {
            throw new IllegalArgumentException("value " + value + " does not fit in " + (length - 1) + " octal digits");
        }
    }

    /**
     * Sums the header bytes as unsigned, the checksum field counted as spaces.
     */
    static int checksum(final ByteBuffer header, final int index)
    {
        int sum = 0;
        for (int i = 0; i < BLOCK; i++)
        {
            sum += isChecksumField(i) ? ' ' : header.get(index + i) & 0xFF;
        }

        return sum;
    }

    /**
     * Sums the header bytes as signed, as some old tar programs did.
     */
    static int signedChecksum(final ByteBuffer header, final int index)
    {
        int sum = 0;
        for (int i = 0; i < BLOCK; i++)
        {
            sum += isChecksumField(i) ? ' ' : header.get(index + i);
        }

        return sum;
    }

    /**
     * Writes the checksum of an otherwise complete header as tar does: six octal digits, NUL, space.
     */
    static void putChecksum(final ByteBuffer header, final int index)
    {
        putOctal(header, index + CHECKSUM_OFFSET, CHECKSUM_LENGTH - 1, checksum(header, index));
        header.put(index + CHECKSUM_OFFSET + CHECKSUM_LENGTH - 1, (byte)' ');
    }

    static boolean isZeroBlock(final ByteBuffer buffer, final int index)
    {
        for (int i = 0; i < BLOCK; i += Long.BYTES)
        {
            if (buffer.getLong(index + i) != 0)
            {
                return false;
            }
        }

        return true;
    }

    /**
     * Whether the header has the POSIX ustar magic, under which the prefix field holds the start of the name.
     */
    static boolean isPosixUstar(final ByteBuffer header, final int index)
    {
        for (int i = 0; i < POSIX_MAGIC.length; i++)
        {
            if (header.get(index + MAGIC_OFFSET + i) != POSIX_MAGIC[i])
            {
                return false;
            }
        }

        return true;
    }

    /**
     * Length of a NUL-terminated field.
     */
    static int fieldLength(final ByteBuffer header, final int index, final int maxLength)
    {
        int length = 0;
        while (length < maxLength && header.get(index + length) != 0)
        {
            length++;
        }

        return length;
    }

    /**
     * Bytes a member's data takes in the archive: rounded up to whole blocks.
     */
    static long paddedSize(final long size)
    {
        return (size + BLOCK - 1) & -BLOCK;
    }

    private static boolean isChecksumField(final int i)
    {
        return i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + CHECKSUM_LENGTH;
    }
}
