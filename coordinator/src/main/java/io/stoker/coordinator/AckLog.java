package io.stoker.coordinator;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An audit trail of the acknowledgements the coordinator counted: one line {@code epoch chunk rank}
 * per chunk, appended. With the workers' own reports it proves exactly-once delivery after failures.
 */
final class AckLog implements AutoCloseable
{
    private final Path file;
    private final BufferedWriter writer;
    private boolean dirty;

    AckLog(final Path file)
    {
        this.file = file;
        try
        {
            writer = Files.newBufferedWriter(
                file, StandardCharsets.US_ASCII, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot open the acknowledgement log: " + ex.getMessage(), ex);
        }
    }

    void append(final int epoch, final int chunkId, final int rank)
    {
        try
        {
            writer.write(epoch + " " + chunkId + " " + rank);
            writer.newLine();
            dirty = true;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Hand what was appended to the operating system, once per duty cycle.
     */
    void flush()
    {
        if (dirty)
        {
            dirty = false;
            try
            {
                writer.flush();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(file + ": " + ex.getMessage(), ex);
            }
        }
    }

    @Override
    public void close()
    {
        try
        {
            writer.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": " + ex.getMessage(), ex);
        }
    }
}
