package io.stoker.dataset.format;

/**
 * The header dict of a {@code .npy} file, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }},
 * parsed strictly as NumPy does: exactly these three keys, then only whitespace.
 */
final class NpyHeader
{
    final NpyDtype dtype;
    final boolean fortranOrder;
    final int fortranOrderPosition;
    final long[] shape;
    final int shapePosition;

    private NpyHeader(
        final NpyDtype dtype,
        final boolean fortranOrder,
        final int fortranOrderPosition,
        final long[] shape,
        final int shapePosition)
    {
        this.dtype = dtype;
        this.fortranOrder = fortranOrder;
        this.fortranOrderPosition = fortranOrderPosition;
        this.shape = shape;
        this.shapePosition = shapePosition;
    }

    /**
     * Parses the header text.
     *
     * @throws PyLiteral.SyntaxError with the character position of the problem.
     */
    static NpyHeader parse(final String text)
    {
        final PyLiteral in = new PyLiteral(text);
        NpyDtype dtype = null;
        Boolean fortranOrder = null;
        long[] shape = null;
        int fortranOrderPosition = -1;
        int shapePosition = -1;

        in.expect('{');
        boolean first = true;
        while (!in.consumeIf('}'))
        {
            if (!first)
            {
                in.expect(',');
                if (in.consumeIf('}'))
                {
                    break;
                }
            }

            first = false;
            final int keyPosition = in.position();
            final String key = in.string();
            in.expect(':');
            in.peek();
            final int valuePosition = in.position();
            switch (key)
            {
                case "descr":
                    checkUnique(null == dtype, keyPosition, key);
                    dtype = NpyDtype.parse(in);
                    break;

                case "fortran_order":
                    checkUnique(null == fortranOrder, keyPosition, key);
                    fortranOrder = in.bool();
                    fortranOrderPosition = valuePosition;
                    break;

                case "shape":
                    checkUnique(null == shape, keyPosition, key);
                    shape = in.integerTuple();
                    shapePosition = valuePosition;
                    break;

                default:
                    throw new PyLiteral.SyntaxError(keyPosition, "unexpected key '" + key + "'");
            }
        }

        if (!in.atEnd())
        {
            throw in.error("unexpected text after the header dict");
        }

        if (null == dtype || null == fortranOrder || null == shape)
        {
            throw new PyLiteral.SyntaxError(0, "header dict needs the keys 'descr', 'fortran_order' and 'shape'");
        }

        return new NpyHeader(dtype, fortranOrder, fortranOrderPosition, shape, shapePosition);
    }

    private static void checkUnique(final boolean unique, final int position, final String key)
    {
        if (!unique)
        {
            throw new PyLiteral.SyntaxError(position, "key '" + key + "' given twice");
        }
    }
}
