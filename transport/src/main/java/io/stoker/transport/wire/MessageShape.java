package io.stoker.transport.wire;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of one message template as the validator walks it: the root block, the enum and set
 * fields in it, the repeating groups and the variable-length fields in wire order, each with the
 * protocol's bound. Built once, in {@link MessageValidator}'s table.
 */
final class MessageShape
{
    /**
     * How a message travels once its session is established.
     */
    enum Sealing
    {
        /**
         * Opens or answers a handshake: never sealed, accepted from any session.
         */
        HANDSHAKE,

        /**
         * Followed by a seal on an authenticated session.
         */
        SEALED,

        /**
         * Never sealed: bulk bytes whose integrity the manifest's CRC32C checks (read data).
         */
        UNSEALED
    }

    final int templateId;
    final String name;
    final int blockLength;
    final Sealing sealing;
    final List<EnumField> enums = new ArrayList<>();
    final List<Group> groups = new ArrayList<>();
    final List<VarField> varFields = new ArrayList<>();

    MessageShape(final int templateId, final String name, final int blockLength, final Sealing sealing)
    {
        this.templateId = templateId;
        this.name = name;
        this.blockLength = blockLength;
        this.sealing = sealing;
    }

    /**
     * An enum field of the root block, one or two bytes, holding one of {@code validValues}.
     */
    MessageShape enumField(final String field, final int offset, final int size, final int... validValues)
    {
        enums.add(new EnumField(field, offset, size, validValues, 0));
        return this;
    }

    /**
     * A one-byte bit set of the root block in which only the bits of {@code allowedBits} may be set.
     */
    MessageShape setField(final String field, final int offset, final int allowedBits)
    {
        enums.add(new EnumField(field, offset, 1, null, allowedBits));
        return this;
    }

    /**
     * A repeating group of at most {@code maxCount} elements; its variable-length fields, if any,
     * are the {@code elementStrings} (each a 16-bit-length string of at most the given length).
     */
    MessageShape group(final String field, final int elementBlockLength, final int maxCount,
        final VarField... elementFields)
    {
        groups.add(new Group(field, elementBlockLength, maxCount, elementFields));
        return this;
    }

    /**
     * A printable-ASCII string with a 16-bit length.
     */
    MessageShape string(final String field, final int maxLength)
    {
        varFields.add(VarField.string(field, maxLength));
        return this;
    }

    /**
     * Bytes with a length of {@code headerLength} (2 or 4) bytes.
     */
    MessageShape bytes(final String field, final int headerLength, final int maxLength)
    {
        varFields.add(new VarField(field, headerLength, maxLength, Chars.ANY));
        return this;
    }

    /**
     * A name of at most {@code maxLength} bytes of {@code [A-Za-z0-9._-]} (see {@link JobNames}), with a 16-bit length.
     */
    MessageShape name(final String field, final int maxLength)
    {
        varFields.add(new VarField(field, 2, maxLength, Chars.NAME));
        return this;
    }

    /**
     * Which bytes a variable-length field may hold.
     */
    enum Chars
    {
        /**
         * Any byte.
         */
        ANY,

        /**
         * Printable ASCII, 0x20 to 0x7E.
         */
        PRINTABLE,

        /**
         * A name's: {@code [A-Za-z0-9._-]}.
         */
        NAME
    }

    record EnumField(String name, int offset, int size, int[] validValues, int allowedBits)
    {
        boolean isValid(final int value)
        {
            if (null == validValues)
            {
                return (value & ~allowedBits) == 0;
            }
            for (final int valid : validValues)
            {
                if (valid == value)
                {
                    return true;
                }
            }
            return false;
        }
    }

    record Group(String name, int elementBlockLength, int maxCount, VarField[] elementFields)
    {
    }

    record VarField(String name, int headerLength, int maxLength, Chars chars)
    {
        static VarField string(final String name, final int maxLength)
        {
            return new VarField(name, 2, maxLength, Chars.PRINTABLE);
        }
    }
}
