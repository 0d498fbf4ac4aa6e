package io.stoker.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The check made before a dataset's file is opened for reading: it must be a regular file. Opening a named pipe
 * blocks until something writes to it, and a device or socket is no dataset, so anything else is refused by name.
 */
public final class RegularFiles
{
    private RegularFiles()
    {
    }

    /**
     * Why a path is not a regular file, following symbolic links.
     *
     * @param file the path.
     * @return null when it is a regular file (or a symbolic link to one), else what it is instead, one line.
     */
    public static String whyNotRegular(final Path file)
    {
        final BasicFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        }
        catch (final NoSuchFileException ex)
        {
            return Files.isSymbolicLink(file) ? "dangling symbolic link" : "no such file";
        }
        catch (final IOException ex)
        {
            return "cannot read its attributes: " + ex.getClass().getSimpleName();
        }

        if (attributes.isRegularFile())
        {
            return null;
        }
        if (attributes.isDirectory())
        {
            return "a directory where a regular file was expected";
        }
        return "not a regular file but a named pipe, socket or device" +
            (Files.isSymbolicLink(file) ? " (through a symbolic link)" : "");
    }

    /**
     * Refuses anything but a regular file, before it is opened.
     *
     * @param file the path, whose symbolic links are followed.
     * @throws DatasetException naming the file when it is missing or not a regular file.
     */
    public static void require(final Path file)
    {
        final String reason = whyNotRegular(file);
        if (null != reason)
        {
            throw new DatasetException(file, reason);
        }
    }
}
