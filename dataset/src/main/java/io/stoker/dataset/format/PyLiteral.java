package io.stoker.dataset.format;

import java.util.Arrays;

/**
 * A cursor over the small subset of Python literal syntax that NumPy writes in {@code .npy} headers: dicts with
 * string keys, strings, {@code True}/{@code False}, integers and tuples of integers. Every token method skips the
 * whitespace in front of the token.
 */
final class PyLiteral
{
    /**
     * A syntax error at a character position of the parsed text.
     */
    static final class SyntaxError extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        private final int position;

        SyntaxError(final int position, final String message)
        {
            super(message, null, false, false);
            this.position = position;
        }

        int position()
        {
            return position;
        }
    }

    private final String text;
    private final int end;
    private int position;

    PyLiteral(final String text)
    {
        this.text = text;
        this.end = text.length();
    }

    int position()
    {
        return position;
    }

    /**
     * The next non-whitespace character without consuming it.
     *
     * @return the next character, or 0 at the end of the text.
     */
    char peek()
    {
        skipWhitespace();
        return position < end ? text.charAt(position) : 0;
    }

    boolean consumeIf(final char c)
    {
        if (peek() == c)
        {
            position++;
            return true;
        }

        return false;
    }

    void expect(final char c)
    {
        if (!consumeIf(c))
        {
            throw error("expected '" + c + "'");
        }
    }

    boolean atEnd()
    {
        skipWhitespace();
        return position >= end;
    }

    /**
     * A quoted string; the escapes {@code \\ \' \"} are understood.
     *
     * @return the string without quotes.
     */
    String string()
    {
        final char quote = peek();
        if (quote != '\'' && quote != '"')
        {
            throw error("expected a quoted string");
        }

        final int start = position++;
        final StringBuilder value = new StringBuilder();
        while (position < end)
        {
            final char c = text.charAt(position++);
            if (c == quote)
            {
                return value.toString();
            }

            if (c == '\\')
            {
                final char escaped = position < end ? text.charAt(position++) : 0;
                if (escaped != '\\' && escaped != '\'' && escaped != '"')
                {
                    throw new SyntaxError(position - 2, "unsupported escape in string");
                }

                value.append(escaped);
            }
            else
            {
                value.append(c);
            }
        }

        throw new SyntaxError(start, "unterminated string");
    }

    boolean bool()
    {
        peek();
        if (text.startsWith("True", position) && position + 4 <= end)
        {
            position += 4;
            return true;
        }

        if (text.startsWith("False", position) && position + 5 <= end)
        {
            position += 5;
            return false;
        }

        throw error("expected True or False");
    }

    /**
     * A non-negative decimal integer, with the {@code L} suffix Python 2 wrote for longs.
     *
     * @return the value.
     */
    long integer()
    {
        peek();
        final int start = position;
        long value = 0;
        while (position < end && text.charAt(position) >= '0' && text.charAt(position) <= '9')
        {
            final int digit = text.charAt(position++) - '0';
            if (value > (Long.MAX_VALUE - digit) / 10)
            {
                throw new SyntaxError(start, "integer too large");
            }

            value = value * 10 + digit;
        }

        if (position == start)
        {
            throw error("expected a non-negative integer");
        }

        if (position < end && (text.charAt(position) == 'L' || text.charAt(position) == 'l'))
        {
            position++;
        }

        return value;
    }

    /**
     * A tuple of non-negative integers such as {@code ()}, {@code (3,)} or {@code (3, 4)}.
     *
     * @return the values.
     */
    long[] integerTuple()
    {
        expect('(');
        long[] values = new long[4];
        int count = 0;
        while (!consumeIf(')'))
        {
            if (count > 0)
            {
                expect(',');
                if (consumeIf(')'))
                {
                    break;
                }
            }

            if (count == values.length)
            {
                values = Arrays.copyOf(values, count * 2);
            }

            values[count++] = integer();
        }

        return Arrays.copyOf(values, count);
    }

    SyntaxError error(final String message)
    {
        final int at = Math.min(position, end);
        return new SyntaxError(at, at < end ? message + ", found '" + text.charAt(at) + "'" : message + ", found end");
    }

    private void skipWhitespace()
    {
        while (position < end && Character.isWhitespace(text.charAt(position)))
        {
            position++;
        }
    }
}
