package io.stoker.launcher;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the HOST:PORT options of the distributed commands.
 */
final class Endpoints
{
    private static final Pattern HOST_PORT = Pattern.compile("(.+):(\\d{1,5})");

    private Endpoints()
    {
    }

    /**
     * @param option the option's name, for the message.
     * @param value  what the user gave.
     * @return the value, when it is HOST:PORT with a port in 1..65535.
     * @throws IllegalArgumentException naming the option otherwise.
     */
    static String check(final String option, final String value)
    {
        final Matcher matcher = HOST_PORT.matcher(value);
        if (!matcher.matches() || Integer.parseInt(matcher.group(2)) < 1 || Integer.parseInt(matcher.group(2)) > 65535)
        {
            throw new IllegalArgumentException(option + " must be HOST:PORT, was '" + value + "'");
        }
        return value;
    }
}
