package io.stoker.transport.session;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * The secret that admits a process to a job. It never travels: both ends of a session prove they
 * hold it with HMACs under a key derived from it and the session's transcript ({@link SessionKeys}).
 */
public final class JobToken
{
    /**
     * Fewest bytes a token may have.
     */
    public static final int MIN_LENGTH = 16;

    private final SecretKeySpec key;

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
