package io.stoker.transport.wire;

/**
 * What a job's name may be: at most {@link #MAX_LENGTH} bytes of {@code [A-Za-z0-9._-]}; the empty name is the
 * default job (a coordinator's only job before it hosted several, and the name data servers register with, since
 * they serve every job). The validator holds a Hello's job name to this, and contexts check a configured one.
 */
public final class JobNames
{
    /**
     * The default job's name.
     */
    public static final String DEFAULT = "";

    /**
     * Longest job name, in bytes.
     */
    public static final int MAX_LENGTH = 64;

    private JobNames()
    {
    }

    /**
     * @param b a byte of a name.
     * @return whether a job name may hold it.
     */
    public static boolean isNameByte(final byte b)
    {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
            b == '.' || b == '_' || b == '-';
    }

    /**
     * @param name a job name.
     * @return why it cannot name a job, or null when it can.
     */
    public static String refusal(final String name)
    {
        if (null == name)
        {
            return "a job name cannot be null";
        }
        if (name.length() > MAX_LENGTH)
        {
            return "a job name has at most " + MAX_LENGTH + " characters, this one " + name.length();
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (c > 0x7F || !isNameByte((byte)c))
            {
                return "a job name holds only [A-Za-z0-9._-], not '" + (c < 0x20 || c > 0x7E ? "?" : c) + "'";
            }
        }
        return null;
    }

    /**
     * @param name a job name.
     * @return the name.
     * @throws IllegalArgumentException when it cannot name a job.
     */
    public static String check(final String name)
    {
        final String refusal = refusal(name);
        if (null != refusal)
        {
            throw new IllegalArgumentException(refusal);
        }
        return name;
    }
}
