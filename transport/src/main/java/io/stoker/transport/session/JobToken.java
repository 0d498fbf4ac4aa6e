package io.stoker.transport.session;

import io.stoker.transport.wire.JobNames;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;

/**
 * The secret that admits a process to a job. It never travels: both ends of a session prove they
 * hold it with HMACs under a key derived from it and the session's transcript ({@link SessionKeys}).
 * <p>
 * The coordinator and the data servers hold the <em>cluster token</em> (the default job's); each named job's token
 * is derived from it ({@link #forJob(String)}), so a verifier checks any job's proof without a file per job, and a
 * job's members, holding only their job's token, can prove nothing for another job.
 */
public final class JobToken
{
    /**
     * Fewest bytes a token may have.
     */
    public static final int MIN_LENGTH = 16;

    private static final String JOB_LABEL = "stoker/2 job token ";
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final SecretKeySpec key;
    private final byte[] secret;

    /**
     * @param secret the token's bytes; at least {@link #MIN_LENGTH}.
     */
    public JobToken(final byte[] secret)
    {
        if (secret.length < MIN_LENGTH)
        {
            throw new IllegalArgumentException(
                "a job token needs at least " + MIN_LENGTH + " bytes, this one has " + secret.length);
        }
        key = new SecretKeySpec(secret, Hmac.ALGORITHM);
        this.secret = secret.clone();
    }

    /**
     * Read a token file: its content without surrounding whitespace.
     *
     * @param file the token file.
     * @return the token.
     * @throws UncheckedIOException naming the file when it cannot be read.
     */
    public static JobToken read(final Path file)
    {
        try
        {
            if (!Files.isRegularFile(file))
            {
                throw new IOException("not a regular file");
            }
            return new JobToken(
                Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot read the job token: " + ex.getMessage(), ex);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * The token of a job, derived from this one, the cluster token: the lowercase hex of
     * HMAC-SHA256(this, "stoker/2 job token " + name), so that a file holding that text reads back as the same token.
     *
     * @param name the job's name ({@link JobNames}); "" for the default job.
     * @return this token for the default job, else the job's derived token.
     */
    public JobToken forJob(final String name)
    {
        if (JobNames.check(name).isEmpty())
        {
            return this;
        }
        final byte[] mac = hmac((JOB_LABEL + name).getBytes(StandardCharsets.UTF_8));
        final byte[] hex = new byte[mac.length * 2];
        for (int i = 0; i < mac.length; i++)
        {
            hex[2 * i] = HEX[(mac[i] >> 4) & 0xF];
            hex[2 * i + 1] = HEX[mac[i] & 0xF];
        }
        return new JobToken(hex);
    }

    /**
     * Write the token to a new file that only its owner may read or write (0600 where the file system has POSIX
     * permissions); {@link #read(Path)} reads it back as this token.
     *
     * @param file where; it must not exist.
     * @throws UncheckedIOException naming the file when it cannot be written.
     */
    public void write(final Path file)
    {
        try
        {
            final boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
            if (posix)
            {
                Files.createFile(file,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            else
            {
                Files.createFile(file);
            }
            Files.write(file, secret);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot write the job token: " + ex.getMessage(), ex);
        }
    }

    /**
     * @return HMAC-SHA256 under the token of {@code message}: the root of a session's keys.
     */
    byte[] hmac(final byte[] message)
    {
        try
        {
            final Mac mac = Mac.getInstance(Hmac.ALGORITHM);
            mac.init(key);
            return mac.doFinal(message);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(Hmac.ALGORITHM + " unavailable", ex);
        }
    }
}
