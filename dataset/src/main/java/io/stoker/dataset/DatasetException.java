package io.stoker.dataset;

import java.nio.file.Path;

/**
 * Bad dataset input: a truncated record, a corrupt header or checksum, a wrong format, an unreadable file.
 * <p>
 * The message is always one line, {@code <file>: offset <N>: <reason>} or {@code <file>: <reason>} when no byte
 * offset applies, so a command line tool can print it as it is and exit non-zero.
 */
public final class DatasetException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String source;
    private final long offset;
    private final String reason;

    /**
     * Bad input at a byte offset of a file.
     *
     * @param file   the file holding the bad input.
     * @param offset byte offset of the problem in the file, or -1 when none applies.
     * @param reason what is wrong, one line.
     */
    public DatasetException(final Path file, final long offset, final String reason)
    {
        this(file, String.valueOf(file), offset, reason, null);
    }

    /**
     * Bad input in a file where no byte offset applies.
     *
     * @param file   the file or directory at fault.
     * @param reason what is wrong, one line.
     */
    public DatasetException(final Path file, final String reason)
    {
        this(file, String.valueOf(file), -1, reason, null);
    }

    /**
     * A file that could not be read or written.
     *
     * @param file   the file at fault.
     * @param reason what was being done, e.g. "cannot read".
     * @param cause  the I/O error, whose message is appended to the reason.
     */
    public DatasetException(final Path file, final String reason, final Throwable cause)
    {
        this(file, String.valueOf(file), -1, reason + ": " + describe(cause), cause);
    }

    /**
     * Bad input that did not come from a file, e.g. manifest bytes received over the network.
     *
     * @param source names where the bytes came from.
     * @param offset byte offset of the problem, or -1 when none applies.
     * @param reason what is wrong, one line.
     */
    public DatasetException(final String source, final long offset, final String reason)
    {
        this(null, source, offset, reason, null);
    }

    private DatasetException(
        final Path file, final String source, final long offset, final String reason, final Throwable cause)
    {
        super(oneLine(offset < 0 ? source + ": " + reason : source + ": offset " + offset + ": " + reason), cause);
        this.file = file;
        this.source = source;
        this.offset = offset < 0 ? -1 : offset;
        this.reason = reason;
    }

    /**
     * The file at fault.
     *
     * @return the file at fault, or null when the input did not come from a file (see {@link #source()}).
     */
    public Path file()
    {
        return file;
    }

    /**
     * Where the bad input came from: the file name, or the name given for bytes that did not come from a file.
     *
     * @return where the bad input came from.
     */
    public String source()
    {
        return source;
    }

    /**
     * Byte offset of the problem within {@link #file()}.
     *
     * @return byte offset of the problem, or -1 when none applies.
     */
    public long offset()
    {
        return offset;
    }

    /**
     * What is wrong, without where: the message is the source, the offset and this.
     *
     * @return the reason, one line.
     */
    public String reason()
    {
        return reason;
    }

    private static String describe(final Throwable cause)
    {
        final String message = cause.getMessage();
        return null == message ? cause.getClass().getSimpleName() : cause.getClass().getSimpleName() + " " + message;
    }

    private static String oneLine(final String message)
    {
        return message.replace('\r', ' ').replace('\n', ' ');
    }
}
