package io.stoker.transport.wire;

/**
 * Quotes text a stranger chose before it reaches a log line: control characters, non-ASCII and
 * the quote itself are escaped, and the text is cut at a length, so a peer cannot forge log lines,
 * drive a terminal, or flood a line.
 */
public final class Quote
{
    /**
     * Characters of the text kept before it is cut.
     */
    public static final int MAX_QUOTED = 120;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Quote()
    {
    }

    /**
     * @param text any text, or null.
     * @return the text in double quotes, escaped and cut to {@link #MAX_QUOTED} characters.
     */
    public static String of(final CharSequence text)
    {
        if (null == text)
        {
            return "null";
        }
        final int length = text.length();
        final int kept = Math.min(length, MAX_QUOTED);
        final StringBuilder quoted = new StringBuilder(kept + 16).append('"');
        for (int i = 0; i < kept; i++)
        {
            final char c = text.charAt(i);
            if (c == '"' || c == '\\')
            {
                quoted.append('\\').append(c);
            }
            else if (c >= 0x20 && c < 0x7F)
            {
                quoted.append(c);
            }
            else if (c < 0x100)
            {
                quoted.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
            else
            {
                quoted.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xF])
                    .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
            }
        }
        quoted.append('"');
        if (length > kept)
        {
            quoted.append("...(").append(length - kept).append(" more)");
        }
        return quoted.toString();
    }

    /**
     * Make free text fit a message: printable ASCII only (anything else becomes '?'), at most
     * {@code maxLength} characters.
     *
     * @param text      what to send.
     * @param maxLength the field's bound.
     * @return the text as it may go on the wire.
     */
    public static String printable(final CharSequence text, final int maxLength)
    {
        final int length = Math.min(text.length(), maxLength);
        final StringBuilder printable = new StringBuilder(length);
        for (int i = 0; i < length; i++)
        {
            final char c = text.charAt(i);
            printable.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return printable.toString();
    }
}
