package io.stoker.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract the fuzz targets hold every parser of untrusted bytes to when it refuses its input: a
 * {@link DatasetException} whose one-line message names the source and, where it gives one, a byte offset inside the
 * input. Any other exception or error fails the fuzz target by itself.
 */
public final class FuzzChecks
{
    private FuzzChecks()
    {
    }

    /**
     * Checks the exception a parser threw for bad input.
     *
     * @param ex          the exception.
     * @param source      the file or source name the parser was given.
     * @param inputLength bytes of input the parser was given.
     */
    public static void assertBadInput(final DatasetException ex, final String source, final long inputLength)
    {
        final String message = ex.getMessage();
        assertEquals(source, ex.source(), message);
        assertFalse(message.contains("\n") || message.contains("\r"), message);
        assertTrue(ex.offset() >= -1 && ex.offset() <= inputLength, () -> "offset outside the input: " + message);
        final String prefix = ex.offset() < 0 ? source + ": " : source + ": offset " + ex.offset() + ": ";
        assertTrue(message.startsWith(prefix), message);
    }
}
