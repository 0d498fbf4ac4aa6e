package io.stoker.coordinator;

import io.stoker.transport.control.StreamId;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An audit trail of the acknowledgements the coordinator counted: one line
 * {@code epoch segment stream step rank} per step, appended. With the epoch's plan (which gives every step's
 * samples) and the workers' own reports it proves exactly-once delivery after failures.
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

    /**
     * Append one counted step: {@code epoch segment stream step rank}, the rank being the one that delivered it.
     */
    void append(final StreamId stream, final int step, final int rank)
    {
        try
        {
            writer.write(stream.epoch() + " " + stream.segment() + " " + stream.rank() + " " + step + " " + rank);
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
