package io.stoker.dataset;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Parses and prints byte sizes.
 * <p>
 * Accepted: a plain number of bytes ({@code 4096}, {@code 4096B}); binary units {@code KiB MiB GiB TiB} and their
 * shorthand {@code k m g t} (also upper case) as powers of 1024; decimal units {@code KB MB GB TB} as powers of 1000.
 * Unit names are case-insensitive apart from the shorthand. A fraction is allowed with a unit ({@code 1.5GiB}) and
 * is rounded down to a whole byte.
 */
public final class Sizes
{
    private static final String[] BINARY_UNITS = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

    private Sizes()
    {
    }

    /**
     * Parses a size such as {@code 4096}, {@code 64KiB}, {@code 1.5GiB}, {@code 10MB} or {@code 4m}.
     *
     * @param text the size.
     * @return the number of bytes, zero or more.
     * @throws IllegalArgumentException naming the text when it is not a size.
     */
    public static long parse(final String text)
    {
        if (null == text)
        {
            throw new IllegalArgumentException("size is missing");
        }

        final String trimmed = text.trim();
        int unitStart = 0;
        while (unitStart < trimmed.length() && isNumberChar(trimmed.charAt(unitStart)))
        {
            unitStart++;
        }

        final String number = trimmed.substring(0, unitStart);
        final long multiplier = multiplier(trimmed.substring(unitStart).trim());
        if (number.isEmpty() || multiplier < 0 || number.startsWith(".") || number.endsWith(".") ||
            (1 == multiplier && number.indexOf('.') >= 0))
        {
            throw bad(text);
        }

        try
        {
            final BigDecimal bytes = new BigDecimal(number).multiply(BigDecimal.valueOf(multiplier));
            return bytes.setScale(0, RoundingMode.FLOOR).longValueExact();
        }
        catch (final ArithmeticException | NumberFormatException ex)
        {
            throw bad(text);
        }
    }

    /**
     * Prints a size for people: bytes below 1 KiB, otherwise two decimals in the largest binary unit, e.g.
     * {@code 4.00 MiB}.
     *
     * @param bytes the size.
     * @return the size as text.
     */
    public static String format(final long bytes)
    {
        if (bytes > -1024 && bytes < 1024)
        {
            return bytes + " B";
        }

        int unit = 0;
        double value = bytes;
        while (Math.abs(value) >= 1024 && unit < BINARY_UNITS.length - 1)
        {
            value /= 1024;
            unit++;
        }

        return String.format(Locale.ROOT, "%.2f %s", value, BINARY_UNITS[unit]);
    }

    private static boolean isNumberChar(final char c)
    {
        return (c >= '0' && c <= '9') || c == '.';
    }

    private static long multiplier(final String unit)
    {
        switch (unit)
        {
            case "":
            case "B":
            case "b":
                return 1L;
            case "k":
            case "K":
                return 1L << 10;
            case "m":
            case "M":
                return 1L << 20;
            case "g":
            case "G":
                return 1L << 30;
            case "t":
            case "T":
                return 1L << 40;
            default:
                break;
        }

        switch (unit.toLowerCase(Locale.ROOT))
        {
            case "kib":
                return 1L << 10;
            case "mib":
                return 1L << 20;
            case "gib":
                return 1L << 30;
            case "tib":
                return 1L << 40;
            case "kb":
                return 1_000L;
            case "mb":
                return 1_000_000L;
            case "gb":
                return 1_000_000_000L;
            case "tb":
                return 1_000_000_000_000L;
            default:
                return -1;
        }
    }

    private static IllegalArgumentException bad(final String text)
    {
        return new IllegalArgumentException(
            "bad size '" + text + "': expected bytes like 4096, 64KiB, 1.5GiB, 10MB or 4m");
    }
}
