package io.stoker.dataset.format;

import java.io.IOException;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.stoker.dataset.DatasetException;

/**
 * JSON held in a file, read token by token with Jackson's streaming parser, where every problem, Jackson's own
 * included, is a {@link DatasetException} at the byte offset in the file of the token at fault. A key given twice
 * in one object is refused, so a document cannot say two things.
 */
final class JsonInput implements AutoCloseable
{
    private static final JsonFactory FACTORY = JsonFactory.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();

    private final Path file;
    private final long base;
    private final long end;
    private final String what;
    private final JsonParser parser;

    /**
     * Starts reading JSON.
     *
     * @param file  the file holding it.
     * @param base  offset of the JSON's first byte in the file.
     * @param bytes the JSON.
     * @param what  what the JSON is, e.g. "MDS index", for messages.
     */
    JsonInput(final Path file, final long base, final byte[] bytes, final String what)
    {
        this.file = file;
        this.base = base;
        this.end = base + bytes.length;
        this.what = what;
        try
        {
            parser = FACTORY.createParser(bytes);
        }
        catch (final IOException ex)
        {
            throw new DatasetException(file, base, "cannot read " + what + ": " + ex.getMessage());
        }
    }

    /**
     * Moves to the next token.
     *
     * @return the token, or null at the end of the input.
     */
    JsonToken next()
    {
        try
        {
            return parser.nextToken();
        }
        catch (final JsonProcessingException ex)
        {
            throw jacksonError(ex);
        }
        catch (final IOException ex)
        {
            throw error("cannot read " + what + ": " + ex.getMessage());
        }
    }

    /**
     * Moves to the next token, which must be of a kind.
     *
     * @param token the kind expected.
     * @param name  what it is, for the message when it is not.
     */
    void expect(final JsonToken token, final String name)
    {
        final JsonToken found = next();
        if (found != token)
        {
            throw error(name + " is not " + describe(token) + " but " + describe(found));
        }
    }

    /**
     * The name of the current field, the text of the current string.
     *
     * @return the text of the current token.
     */
    String text()
    {
        try
        {
            return parser.getText();
        }
        catch (final IOException ex)
        {
            throw error("cannot read " + what + ": " + ex.getMessage());
        }
    }

    /**
     * Moves to the next token, which must be a string.
     *
     * @param name what the string is, for messages.
     * @return the string.
     */
    String nextString(final String name)
    {
        expect(JsonToken.VALUE_STRING, name);
        return text();
    }

    /**
     * Moves to the next token, which must be a whole number in a range.
     *
     * @param name what the number is, for messages.
     * @param min  smallest value accepted.
     * @param max  largest value accepted.
     * @return the number.
     */
    long nextLong(final String name, final long min, final long max)
    {
        expect(JsonToken.VALUE_NUMBER_INT, name);
        return longValue(name, min, max);
    }

    /**
     * The current token, a whole number, which must be in a range.
     *
     * @param name what the number is, for messages.
     * @param min  smallest value accepted.
     * @param max  largest value accepted.
     * @return the number.
     */
    long longValue(final String name, final long min, final long max)
    {
        try
        {
            if (parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER)
            {
                final long value = parser.getLongValue();
                if (value >= min && value <= max)
                {
                    return value;
                }
            }
        }
        catch (final IOException ex)
        {
            // Out of range, said below.
        }

        throw error(name + " " + text() + " is not " + min + " to " + max);
    }

    /**
     * Skips the value of the current field, whatever it is.
     */
    void skipValue()
    {
        next();
        try
        {
            parser.skipChildren();
        }
        catch (final JsonProcessingException ex)
        {
            throw jacksonError(ex);
        }
        catch (final IOException ex)
        {
            throw error("cannot read " + what + ": " + ex.getMessage());
        }
    }

    /**
     * Checks that nothing follows the value just read.
     */
    void expectEnd()
    {
        final JsonToken token = next();
        if (null != token)
        {
            throw error(describe(token) + " after the end of the " + what);
        }
    }

    /**
     * Offset of the current token in the file.
     *
     * @return the byte offset.
     */
    long offset()
    {
        return clamp(parser.currentTokenLocation().getByteOffset());
    }

    /**
     * Bad input at the current token.
     *
     * @param reason what is wrong.
     * @return the exception to throw.
     */
    DatasetException error(final String reason)
    {
        return error(offset(), reason);
    }

    /**
     * Bad input at an offset read before.
     *
     * @param offset byte offset in the file, from {@link #offset()}.
     * @param reason what is wrong.
     * @return the exception to throw.
     */
    DatasetException error(final long offset, final String reason)
    {
        return new DatasetException(file, offset, what + ": " + reason);
    }

    @Override
    public void close()
    {
        try
        {
            parser.close();
        }
        catch (final IOException ignore)
        {
            // The parser reads an array: nothing to release.
        }
    }

    private DatasetException jacksonError(final JsonProcessingException ex)
    {
        final JsonLocation location = ex.getLocation();
        final long offset = null == location ? offset() : clamp(location.getByteOffset());
        return error(offset, "bad JSON: " + ex.getOriginalMessage());
    }

    private long clamp(final long offset)
    {
        return offset < 0 ? base : Math.min(base + offset, end);
    }

    private static String describe(final JsonToken token)
    {
        if (null == token)
        {
            return "the end of the input";
        }

        switch (token)
        {
            case START_OBJECT:
                return "an object";
            case START_ARRAY:
                return "an array";
            case VALUE_STRING:
                return "a string";
            case VALUE_NUMBER_INT:
                return "a whole number";
            case VALUE_NULL:
                return "null";
            default:
                return null == token.asString() ? token.name() : "'" + token.asString() + "'";
        }
    }
}
