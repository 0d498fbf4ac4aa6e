package io.stoker.launcher;

import io.stoker.dataset.Sizes;
import picocli.CommandLine;

/**
 * Lets options take sizes such as {@code 4MiB} or {@code 1GiB}.
 */
final class SizeConverter implements CommandLine.ITypeConverter<Long>
{
    @Override
    public Long convert(final String value)
    {
        try
        {
            return Sizes.parse(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.TypeConversionException(ex.getMessage());
        }
    }
}
