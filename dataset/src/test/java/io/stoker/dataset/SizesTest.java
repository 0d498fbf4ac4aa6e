package io.stoker.dataset;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizesTest
{
    @Test
    void parsesBinaryDecimalAndShorthandUnits()
    {
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(4096, Sizes.parse("4096B"));
        assertEquals(64 * 1024, Sizes.parse("64KiB"));
        assertEquals(4L << 20, Sizes.parse("4MiB"));
        assertEquals(1L << 30, Sizes.parse("1GiB"));
        assertEquals(3L << 29, Sizes.parse("1.5GiB"));
        assertEquals(1L << 40, Sizes.parse("1 TiB"));
        assertEquals(1000, Sizes.parse("1KB"));
        assertEquals(10_000_000, Sizes.parse("10MB"));
        assertEquals(2_000_000_000, Sizes.parse("2GB"));
        assertEquals(4096, Sizes.parse("4k"));
        assertEquals(4L << 20, Sizes.parse("4m"));
        assertEquals(2L << 30, Sizes.parse("2g"));
        assertEquals(4L << 20, Sizes.parse(" 4mib "));
        assertEquals(1536, Sizes.parse("1.5k"));
        assertEquals(102, Sizes.parse("0.1KiB"), "rounded down to a whole byte");
    }

    @Test
    void refusesWhatIsNotASizeNamingTheText()
    {
        for (final String bad : new String[]{ "", "abc", "-1", "4XB", "1.5", "1..5k", ".5k", "5.k", "9999999999TiB" })
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad));
            assertTrue(ex.getMessage().contains("'" + bad + "'"), ex.getMessage());
        }
    }

    @Test
    void formatsForPeople()
    {
        assertEquals("0 B", Sizes.format(0));
        assertEquals("1023 B", Sizes.format(1023));
        assertEquals("1.00 KiB", Sizes.format(1024));
        assertEquals("4.00 MiB", Sizes.format(4L << 20));
        assertEquals("1.50 GiB", Sizes.format(3L << 29));
        assertEquals("8.00 EiB", Sizes.format(Long.MAX_VALUE));
    }

    @Test
    void formattedBinarySizesParseBack()
    {
        for (final long size : new long[]{ 1L << 10, 4L << 20, 3L << 29, 5L << 40 })
        {
            assertEquals(size, Sizes.parse(Sizes.format(size).replace(" ", "")));
        }
    }
}
