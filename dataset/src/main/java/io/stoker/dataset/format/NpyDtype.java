package io.stoker.dataset.format;

/**
 * A NumPy dtype as written in the {@code descr} of a {@code .npy} header: a type string such as {@code <f4},
 * {@code |S10}, {@code <U5} or {@code <M8[ns]}, or a structured dtype given as a list of fields such as
 * {@code [('x', '<f4'), ('pad', '|V4'), ('y', '<i2', (3,))]}, whose item size is the sum of its fields' sizes,
 * subarray shapes included. Object dtypes are refused: their data is pickled and has no fixed layout.
 */
public final class NpyDtype
{
    private static final int MAX_NESTING = 32;

    private final String descr;
    private final long itemSize;

    private NpyDtype(final String descr, final long itemSize)
    {
        this.descr = descr;
        this.itemSize = itemSize;
    }

    /**
     * Parses a dtype as a user gives it: a bare type string ({@code <f4}) or a field list literal.
     *
     * @param text the dtype.
     * @return the dtype.
     * @throws IllegalArgumentException when the text is not a supported dtype.
     */
    public static NpyDtype parse(final String text)
    {
        final String trimmed = text.trim();
        try
        {
            if (trimmed.startsWith("["))
            {
                final PyLiteral in = new PyLiteral(trimmed);
                final NpyDtype dtype = parseFields(in, 0);
                if (!in.atEnd())
                {
                    throw in.error("unexpected text after the field list");
                }

                return dtype;
            }

            return new NpyDtype(trimmed, typeStringSize(trimmed, 0));
        }
        catch (final PyLiteral.SyntaxError ex)
        {
            throw new IllegalArgumentException(
                "bad dtype '" + text + "' at character " + ex.position() + ": " + ex.getMessage());
        }
    }

    /**
     * Parses the value of a header's {@code descr}: a quoted type string or a field list.
     *
     * @param in positioned at the value.
     * @return the dtype.
     */
    static NpyDtype parse(final PyLiteral in)
    {
        return parse(in, 0);
    }

    private static NpyDtype parse(final PyLiteral in, final int depth)
    {
        if (in.peek() == '[')
        {
            return parseFields(in, depth);
        }

        final int start = in.position();
        final String typeString = in.string();
        return new NpyDtype(typeString, typeStringSize(typeString, start + 1));
    }

    /**
     * The dtype in canonical form: the bare type string, or the field list as NumPy prints it.
     *
     * @return the dtype in canonical form.
     */
    public String descr()
    {
        return descr;
    }

    /**
     * Bytes of one element.
     *
     * @return bytes of one element.
     */
    public long itemSize()
    {
        return itemSize;
    }

    /**
     * The dtype as the value of {@code descr} in a {@code .npy} header: a type string is quoted.
     *
     * @return a Python literal.
     */
    public String headerLiteral()
    {
        return descr.startsWith("[") ? descr : quote(descr);
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof NpyDtype && descr.equals(((NpyDtype)other).descr);
    }

    @Override
    public int hashCode()
    {
        return descr.hashCode();
    }

    @Override
    public String toString()
    {
        return descr;
    }

    private static NpyDtype parseFields(final PyLiteral in, final int depth)
    {
        if (depth >= MAX_NESTING)
        {
            throw in.error("structured dtype nested deeper than " + MAX_NESTING);
        }

        final StringBuilder descr = new StringBuilder("[");
        long itemSize = 0;
        in.expect('[');
        while (!in.consumeIf(']'))
        {
            if (descr.length() > 1)
            {
                in.expect(',');
                if (in.consumeIf(']'))
                {
                    break;
                }

                descr.append(", ");
            }

            itemSize = checkedAdd(in, itemSize, parseField(in, descr, depth));
        }

        if (descr.length() == 1)
        {
            throw in.error("structured dtype has no fields");
        }

        return new NpyDtype(descr.append(']').toString(), itemSize);
    }

    private static long parseField(final PyLiteral in, final StringBuilder descr, final int depth)
    {
        in.expect('(');
        descr.append('(');
        if (in.peek() == '(')
        {
            in.expect('(');
            final String title = in.string();
            in.expect(',');
            final String name = in.string();
            in.expect(')');
            descr.append('(').append(quote(title)).append(", ").append(quote(name)).append(')');
        }
        else
        {
            descr.append(quote(in.string()));
        }

        in.expect(',');
        final NpyDtype type = parse(in, depth + 1);
        descr.append(", ").append(type.headerLiteral());

        long size = type.itemSize;
        if (in.consumeIf(',') && in.peek() != ')')
        {
            final long[] shape;
            if (in.peek() == '(')
            {
                shape = in.integerTuple();
            }
            else
            {
                shape = new long[]{ in.integer() };
            }

            descr.append(", ").append(shapeLiteral(shape));
            for (final long dim : shape)
            {
                size = checkedMultiply(in, size, dim);
            }
            in.consumeIf(',');
        }

        in.expect(')');
        descr.append(')');
        return size;
    }

    /**
     * Bytes of one element of a type string such as {@code <f4}, {@code |S10}, {@code <U5} or {@code <M8[ns]}.
     */
    private static long typeStringSize(final String typeString, final int position)
    {
        int i = 0;
        if (i < typeString.length() && "<>|=".indexOf(typeString.charAt(i)) >= 0)
        {
            i++;
        }

        if (i >= typeString.length())
        {
            throw new PyLiteral.SyntaxError(position, "empty type string");
        }

        final char kind = typeString.charAt(i++);
        if (kind == 'O')
        {
            throw new PyLiteral.SyntaxError(position, "object dtype '" + typeString + "' holds pickled Python " +
                "objects, which have no fixed size");
        }

        if ("biufcSaUVMm".indexOf(kind) < 0)
        {
            throw new PyLiteral.SyntaxError(position, "unknown dtype '" + typeString + "'");
        }

        final int digitsStart = i;
        long size = 0;
        while (i < typeString.length() && Character.isDigit(typeString.charAt(i)) && size < Integer.MAX_VALUE)
        {
            size = size * 10 + (typeString.charAt(i++) - '0');
        }

        final boolean unitOk = i == typeString.length() ||
            ((kind == 'M' || kind == 'm') && typeString.charAt(i) == '[' && typeString.endsWith("]"));
        final long bytes = kind == 'U' ? size * 4 : size;
        if (i == digitsStart || !unitOk || size < 1 || bytes >= Integer.MAX_VALUE)
        {
            throw new PyLiteral.SyntaxError(position, "bad type string '" + typeString + "'");
        }

        return bytes;
    }

    private static String shapeLiteral(final long[] shape)
    {
        final StringBuilder text = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++)
        {
            text.append(i > 0 ? ", " : "").append(shape[i]);
        }

        return text.append(shape.length == 1 ? ",)" : ")").toString();
    }

    private static String quote(final String value)
    {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static long checkedAdd(final PyLiteral in, final long a, final long b)
    {
        final long sum = a + b;
        if (sum > Integer.MAX_VALUE)
        {
            throw in.error("dtype item size too large");
        }

        return sum;
    }

    private static long checkedMultiply(final PyLiteral in, final long a, final long b)
    {
        if (b != 0 && a > Integer.MAX_VALUE / b)
        {
            throw in.error("dtype item size too large");
        }

        return a * b;
    }
}
