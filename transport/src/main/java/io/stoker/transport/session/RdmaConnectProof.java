package io.stoker.transport.session;

import io.stoker.transport.wire.JobNames;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * What a worker sends on a new RDMA connection to a data server, to be given that connection's keys: its rank, the
 * correlation id of its registration with the coordinator (which names its lease), its job's name, and an
 * HMAC-SHA256 under its job's token over a label, the server's RDMA endpoint, the server's challenge for this
 * connection (a fresh random {@link #NONCE_LENGTH}-byte nonce it sends first on each connection), the rank, the
 * registration and the job's name. The server, holding the cluster token, checks it under the token of the job the
 * proof names ({@link JobToken#forJob}): only a holder of that job's token can make it, a job's token proves nothing
 * for another job, and only for that connection: a proof captured on one connection and replayed on another is over
 * another nonce, and refused. A data server that was told the registration's lease ended refuses it too. Without a
 * token (a one-host run that asks for none) the MAC is all zeros and only the claims are read.
 * <p>
 * Layout, little-endian, {@link #HEADER_LENGTH} bytes and the name: magic (int32), rank (int32), registration
 * (int64), MAC (32 bytes), the name's length (uint8, at most {@link JobNames#MAX_LENGTH}), the name (bytes of
 * {@code [A-Za-z0-9._-]}); at most {@link #MAX_LENGTH} bytes.
 */
public final class RdmaConnectProof
{
    /**
     * Bytes of a proof before the job's name.
     */
    public static final int HEADER_LENGTH = 49;

    /**
     * Bytes of the longest proof.
     */
    public static final int MAX_LENGTH = HEADER_LENGTH + JobNames.MAX_LENGTH;

    /**
     * Bytes of the server's challenge on a connection.
     */
    public static final int NONCE_LENGTH = 16;

    private static final int MAGIC = 0x324b5253;
    private static final int RANK_OFFSET = 4;
    private static final int REGISTRATION_OFFSET = 8;
    private static final int MAC_OFFSET = 16;
    private static final int NAME_LENGTH_OFFSET = 48;
    private static final byte[] LABEL = "stoker/4 rdma connect".getBytes(StandardCharsets.US_ASCII);

    private RdmaConnectProof()
    {
    }

    /**
     * @param jobName a job's name.
     * @return the bytes of a proof naming it.
     */
    public static int length(final String jobName)
    {
        return HEADER_LENGTH + jobName.length();
    }

    /**
     * Write a proof.
     *
     * @param token          the job's token, or null when the job has none.
     * @param jobName        the job's name ({@link JobNames}).
     * @param serverEndpoint the data server's RDMA endpoint as advertised ({@code IP:PORT}).
     * @param nonce          holds the server's challenge on this connection.
     * @param nonceOffset    where it starts: {@link #NONCE_LENGTH} bytes.
     * @param rank           the worker's rank.
     * @param registrationId the correlation id of the worker's current registration with the coordinator.
     * @param buffer         where to write {@link #length} bytes.
     * @param offset         at which offset.
     * @return the bytes written.
     */
    public static int write(
        final JobToken token,
        final String jobName,
        final String serverEndpoint,
        final DirectBuffer nonce,
        final int nonceOffset,
        final int rank,
        final long registrationId,
        final MutableDirectBuffer buffer,
        final int offset)
    {
        buffer.putInt(offset, MAGIC, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + RANK_OFFSET, rank, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + REGISTRATION_OFFSET, registrationId, ByteOrder.LITTLE_ENDIAN);
        final byte[] name = JobNames.check(jobName).getBytes(StandardCharsets.US_ASCII);
        final byte[] mac = mac(token, serverEndpoint, nonce, nonceOffset, rank, registrationId, name);
        buffer.putBytes(offset + MAC_OFFSET, mac, 0, Hmac.LENGTH);
        buffer.putByte(offset + NAME_LENGTH_OFFSET, (byte)name.length);
        buffer.putBytes(offset + HEADER_LENGTH, name);
        return HEADER_LENGTH + name.length;
    }

    /**
     * Check a proof as it arrived, before anything of it is believed.
     *
     * @param token          the cluster token (each job's is derived from it), or null when there is none.
     * @param serverEndpoint this server's RDMA endpoint as it advertises it.
     * @param nonce          holds the challenge this server sent on the connection.
     * @param nonceOffset    where it starts: {@link #NONCE_LENGTH} bytes.
     * @param buffer         what arrived.
     * @param offset         where it starts.
     * @param length         how many bytes arrived.
     * @return null when it proves its claims, otherwise why not (for the refusal's log line).
     */
    public static String verify(
        final JobToken token,
        final String serverEndpoint,
        final DirectBuffer nonce,
        final int nonceOffset,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        if (length < HEADER_LENGTH || length > MAX_LENGTH)
        {
            return "a proof of " + length + " bytes, not " + HEADER_LENGTH + " to " + MAX_LENGTH;
        }
        if (MAGIC != buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN))
        {
            return "not a Stoker rdma proof (of this version)";
        }
        final int nameLength = buffer.getByte(offset + NAME_LENGTH_OFFSET) & 0xFF;
        if (HEADER_LENGTH + nameLength != length)
        {
            return "a proof of " + length + " bytes naming a job of " + nameLength;
        }
        final byte[] name = new byte[nameLength];
        buffer.getBytes(offset + HEADER_LENGTH, name);
        for (final byte b : name)
        {
            if (!JobNames.isNameByte(b))
            {
                return "its job name holds byte 0x" + Integer.toHexString(b & 0xFF) + ", not one of [A-Za-z0-9._-]";
            }
        }
        final JobToken jobToken = null == token ? null : token.forJob(new String(name, StandardCharsets.US_ASCII));
        final byte[] expected = mac(
            jobToken, serverEndpoint, nonce, nonceOffset, rank(buffer, offset), registrationId(buffer, offset), name);
        final byte[] actual = new byte[Hmac.LENGTH];
        buffer.getBytes(offset + MAC_OFFSET, actual);
        if (!Hmac.equal(expected, 0, actual, 0, Hmac.LENGTH))
        {
            return "its MAC does not verify under the token of job '" + new String(name, StandardCharsets.US_ASCII) +
                "' and this connection's challenge";
        }
        return null;
    }

    /**
     * @param length the proof's bytes, as {@link #verify} accepted them.
     * @return the job a proof names (believe it only once {@link #verify} returned null).
     */
    public static String jobName(final DirectBuffer buffer, final int offset, final int length)
    {
        return buffer.getStringWithoutLengthAscii(offset + HEADER_LENGTH, length - HEADER_LENGTH);
    }

    /**
     * @return the rank a proof claims (believe it only once {@link #verify} returned null).
     */
    public static int rank(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + RANK_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * @return the registration a proof claims (believe it only once {@link #verify} returned null).
     */
    public static long registrationId(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + REGISTRATION_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] mac(
        final JobToken token,
        final String serverEndpoint,
        final DirectBuffer nonce,
        final int nonceOffset,
        final int rank,
        final long registrationId,
        final byte[] jobName)
    {
        if (null == token)
        {
            return new byte[Hmac.LENGTH];
        }
        final byte[] endpoint = serverEndpoint.getBytes(StandardCharsets.US_ASCII);
        final byte[] challenge = new byte[NONCE_LENGTH];
        nonce.getBytes(nonceOffset, challenge);
        final byte[] message = ByteBuffer.allocate(LABEL.length + Integer.BYTES + endpoint.length + NONCE_LENGTH +
            Integer.BYTES + Long.BYTES + 1 + jobName.length).put(LABEL).putInt(endpoint.length).put(endpoint)
            .put(challenge).putInt(rank).putLong(registrationId).put((byte)jobName.length).put(jobName).array();
        return token.hmac(message);
    }
}
