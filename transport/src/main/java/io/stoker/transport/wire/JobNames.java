package io.stoker.transport.wire;

/**
 * What a job's name may be: at most {@link MessageLimits#MAX_JOB_NAME_LENGTH} characters of {@code A-Z a-z 0-9 . _ -};
 * the empty name is the default job's.
 */
public final class JobNames
{
    private JobNames()
    {
    }

    /**
     * @param name a job name, from the wire or a user.
     * @return true when it is one.
     */
    public static boolean isValid(final CharSequence name)
    {
        if (name.length() > MessageLimits.MAX_JOB_NAME_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' ||
                c == '-'))
            {
                return false;
            }
        }
        return true;
    }
}
