package io.stoker.dataset.format;

import java.util.Locale;

/**
 * The element types of a Megatron-LM indexed dataset, with the codes its {@code .idx} header stores at offset 17
 * (Megatron-LM's {@code DType} enum in {@code megatron/core/datasets/indexed_dataset.py}). Elements are little-endian.
 */
public enum MegatronDtype
{
    UINT8(1, 1),
    INT8(2, 1),
    INT16(3, 2),
    INT32(4, 4),
    INT64(5, 8),
    FLOAT64(6, 8),
    FLOAT32(7, 4),
    UINT16(8, 2);

    private static final MegatronDtype[] VALUES = values();

    private final int code;
    private final int itemSize;

    MegatronDtype(final int code, final int itemSize)
    {
        this.code = code;
        this.itemSize = itemSize;
    }

    /**
     * The code stored in the {@code .idx} header.
     *
     * @return the code, 1 to 8.
     */
    public int code()
    {
        return code;
    }

    /**
     * Bytes per element.
     *
     * @return bytes per element: 1, 2, 4 or 8.
     */
    public int itemSize()
    {
        return itemSize;
    }

    /**
     * The type of a header code.
     *
     * @param code the code read from the header.
     * @return the type, or null for a code Megatron-LM does not define.
     */
    public static MegatronDtype ofCode(final int code)
    {
        for (final MegatronDtype dtype : VALUES)
        {
            if (dtype.code == code)
            {
                return dtype;
            }
        }

        return null;
    }

    /**
     * The type of a NumPy type name such as {@code uint16}, in any case.
     *
     * @param name the name.
     * @return the type, or null when the name is none of them.
     */
    public static MegatronDtype ofName(final String name)
    {
        for (final MegatronDtype dtype : VALUES)
        {
            if (dtype.toString().equals(name.toLowerCase(Locale.ROOT)))
            {
                return dtype;
            }
        }

        return null;
    }

    /**
     * The known types, for messages.
     *
     * @param withCodes whether to put each type's header code before its name.
     * @return e.g. {@code 1 uint8, 2 int8, ...} or {@code uint8, int8, ...}.
     */
    public static String describe(final boolean withCodes)
    {
        final StringBuilder text = new StringBuilder();
        for (final MegatronDtype dtype : VALUES)
        {
            text.append(text.length() > 0 ? ", " : "");
            if (withCodes)
            {
                text.append(dtype.code).append(' ');
            }
            text.append(dtype);
        }

        return text.toString();
    }

    /**
     * The NumPy name of the type.
     *
     * @return e.g. {@code uint16}.
     */
    @Override
    public String toString()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}
