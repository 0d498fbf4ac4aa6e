package io.stoker.transport.control;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * The secret that admits a process to a job. It never travels: a peer proves it holds the token by
 * answering a fresh random nonce with HMAC-SHA256(token, nonce).
 */
public final class JobToken
{
    /**
     * Bytes of a challenge's nonce.
     */
    public static final int NONCE_LENGTH = 32;

    private static final String ALGORITHM = "HmacSHA256";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    /**
     * @param secret the token's bytes; at least 16.
     */
    public JobToken(final byte[] secret)
    {
        if (secret.length < 16)
        {
            throw new IllegalArgumentException("a job token needs at least 16 bytes, this one has " + secret.length);
        }
        key = new SecretKeySpec(secret, ALGORITHM);
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
            return new JobToken(Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8));
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
     * @return a fresh random nonce for a challenge.
     */
    public static byte[] newNonce()
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /**
     * @param nonce a challenge's nonce.
     * @return the answer that proves this token.
     */
    public byte[] prove(final byte[] nonce)
    {
        try
        {
            final Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(nonce);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC-SHA256 unavailable", ex);
        }
    }

    /**
     * @param nonce the nonce this side sent.
     * @param proof the peer's answer.
     * @return true when the peer holds the same token; compared in constant time.
     */
    public boolean verify(final byte[] nonce, final byte[] proof)
    {
        return MessageDigest.isEqual(prove(nonce), proof);
    }
}
