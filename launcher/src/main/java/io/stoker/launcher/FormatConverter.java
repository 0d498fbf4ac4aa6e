package io.stoker.launcher;

import io.stoker.dataset.FormatSpec;
import picocli.CommandLine;

/**
 * Lets options take record formats such as {@code fixed:4096} or {@code tfrecord}.
 */
final class FormatConverter implements CommandLine.ITypeConverter<FormatSpec>
{
    @Override
    public FormatSpec convert(final String value)
    {
        try
        {
            return FormatSpec.parse(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.TypeConversionException(ex.getMessage());
        }
    }
}
