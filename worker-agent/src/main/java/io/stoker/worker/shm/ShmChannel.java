package io.stoker.worker.shm;

import io.stoker.worker.gpu.IpcSlots;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static io.stoker.worker.shm.ChannelLayout.BATCHES_CAPACITY_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_SIZE_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BUFFER_COUNT_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BUFFER_LENGTH_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.CONSUMER_HEARTBEAT_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.EPOCHS_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.DEVICE_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.HEADER_LENGTH_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.MEMORY_CUDA_SLOTS;
import static io.stoker.worker.shm.ChannelLayout.MEMORY_HOST_POOL;
import static io.stoker.worker.shm.ChannelLayout.MEMORY_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.SLOT_COUNT_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.SLOT_LENGTH_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.headerLength;
import static io.stoker.worker.shm.ChannelLayout.ipcHandleOffset;
import static io.stoker.worker.shm.ChannelLayout.LEASE_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.MAGIC;
import static io.stoker.worker.shm.ChannelLayout.MAGIC_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.PID_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.POOL_LENGTH_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.RANK_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.RELEASES_APPLIED_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.RELEASES_CAPACITY;
import static io.stoker.worker.shm.ChannelLayout.RELEASES_CAPACITY_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.SEED_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.STATE_CLOSED;
import static io.stoker.worker.shm.ChannelLayout.STATE_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.STATE_RUNNING;
import static io.stoker.worker.shm.ChannelLayout.STATE_STARTING;
import static io.stoker.worker.shm.ChannelLayout.TOKEN_CAPACITY;
import static io.stoker.worker.shm.ChannelLayout.TOKEN_LENGTH_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.TOKEN_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.TOKEN_SEQUENCE_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.VERSION;
import static io.stoker.worker.shm.ChannelLayout.VERSION_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.WORKER_HEARTBEAT_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.WORLD_SIZE_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.releasesOffset;
import static io.stoker.worker.shm.ChannelLayout.fileLength;

/**
 * The worker's end of a shared-memory channel: the {@code channel} file mapped shared, its header, and its two
 * rings (see {@link ChannelLayout}). Written by one thread, the channel's agent.
 */
public final class ShmChannel implements AutoCloseable
{
    private final Path file;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer header;
    private final OneToOneRingBuffer batches;
    private final OneToOneRingBuffer releases;
    private long tokenSequence;

    private ShmChannel(
        final Path file, final MappedByteBuffer mapping, final int headerLength, final int batchesCapacity)
    {
        this.file = file;
        this.mapping = mapping;
        header = new UnsafeBuffer(mapping, 0, headerLength);
        batches = new OneToOneRingBuffer(new UnsafeBuffer(
            mapping, headerLength, batchesCapacity + RingBufferDescriptor.TRAILER_LENGTH));
        final int releasesOffset = releasesOffset(headerLength, batchesCapacity);
        releases = new OneToOneRingBuffer(new UnsafeBuffer(
            mapping, releasesOffset, mapping.capacity() - releasesOffset));
    }

    /**
     * Create the channel file (replacing one left by an earlier run) with an incomplete header: the magic is written
     * by {@link #ready}.
     *
     * @param file            where.
     * @param batchesCapacity record bytes of the batches ring, a power of two.
     * @return the channel.
     */
    public static ShmChannel create(final Path file, final int batchesCapacity)
    {
        return create(file, batchesCapacity, null);
    }

    /**
     * Create the channel file, as {@link #create(Path, int)}, for samples in CUDA device slots: the header holds
     * the slots' IPC handles and the rings follow them.
     *
     * @param file            where.
     * @param batchesCapacity record bytes of the batches ring, a power of two.
     * @param slots           the device slots the samples are in, or null when they are in the pool file.
     * @return the channel.
     */
    public static ShmChannel create(final Path file, final int batchesCapacity, final IpcSlots slots)
    {
        final int headerLength = headerLength(null != slots ? slots.count() : 0);
        final int length = fileLength(headerLength, batchesCapacity, RELEASES_CAPACITY);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
            final ShmChannel shm = new ShmChannel(file, mapping, headerLength, batchesCapacity);
            shm.header.putInt(VERSION_OFFSET, VERSION);
            shm.header.putInt(HEADER_LENGTH_OFFSET, headerLength);
            shm.header.putInt(MEMORY_OFFSET, null != slots ? MEMORY_CUDA_SLOTS : MEMORY_HOST_POOL);
            shm.header.putInt(DEVICE_OFFSET, null != slots ? slots.deviceId() : -1);
            shm.header.putInt(SLOT_COUNT_OFFSET, null != slots ? slots.count() : 0);
            shm.header.putInt(SLOT_LENGTH_OFFSET, null != slots ? slots.slotLength() : 0);
            for (int slot = 0; null != slots && slot < slots.count(); slot++)
            {
                shm.header.putBytes(ipcHandleOffset(slot), slots.handle(slot));
            }
            shm.header.putInt(BATCHES_CAPACITY_OFFSET, batchesCapacity);
            shm.header.putInt(RELEASES_CAPACITY_OFFSET, RELEASES_CAPACITY);
            shm.header.putLong(PID_OFFSET, ProcessHandle.current().pid());
            return shm;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create the shared-memory channel " + file + ": " + ex.getMessage(),
                ex);
        }
    }

    /**
     * Complete the header and publish it: a consumer may attach from now on.
     */
    public void ready(
        final int rank,
        final long poolLength,
        final int bufferLength,
        final int bufferCount,
        final int batchSize,
        final int epochs,
        final int worldSize,
        final long seed,
        final long leaseMs)
    {
        header.putInt(RANK_OFFSET, rank);
        header.putLong(POOL_LENGTH_OFFSET, poolLength);
        header.putInt(BUFFER_LENGTH_OFFSET, bufferLength);
        header.putInt(BUFFER_COUNT_OFFSET, bufferCount);
        header.putInt(BATCH_SIZE_OFFSET, batchSize);
        header.putInt(EPOCHS_OFFSET, epochs);
        header.putInt(WORLD_SIZE_OFFSET, worldSize);
        header.putLong(SEED_OFFSET, seed);
        header.putInt(LEASE_OFFSET, (int)Math.min(Integer.MAX_VALUE, leaseMs));
        header.putIntRelease(STATE_OFFSET, STATE_RUNNING);
        header.putLongRelease(MAGIC_OFFSET, MAGIC);
    }

    /**
     * @return the worker to consumer ring.
     */
    public OneToOneRingBuffer batches()
    {
        return batches;
    }

    /**
     * @return the consumer to worker ring.
     */
    public OneToOneRingBuffer releases()
    {
        return releases;
    }

    /**
     * Renew the worker's heartbeat.
     */
    public void workerHeartbeat(final long nowMs)
    {
        header.putLongRelease(WORKER_HEARTBEAT_OFFSET, nowMs);
    }

    /**
     * @return the consumer's last heartbeat, epoch milliseconds, 0 before one attached.
     */
    public long consumerHeartbeat()
    {
        return header.getLongVolatile(CONSUMER_HEARTBEAT_OFFSET);
    }

    /**
     * @param state one of {@link ChannelLayout}'s {@code STATE_} values.
     */
    public void state(final int state)
    {
        header.putIntRelease(STATE_OFFSET, state);
    }

    /**
     * @return the state word.
     */
    public int state()
    {
        return header.getIntVolatile(STATE_OFFSET);
    }

    /**
     * Publish the worker's resume token and how many releases it includes, under a sequence lock.
     *
     * @param token           the token's text.
     * @param releasesApplied release records applied before the token was taken.
     * @return false when the token is too long for the header (it is then left as it was).
     */
    public boolean token(final String token, final long releasesApplied)
    {
        final byte[] bytes = token.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > TOKEN_CAPACITY)
        {
            return false;
        }
        header.putLongRelease(TOKEN_SEQUENCE_OFFSET, ++tokenSequence);
        header.putBytes(TOKEN_OFFSET, bytes);
        header.putInt(TOKEN_LENGTH_OFFSET, bytes.length);
        header.putLong(RELEASES_APPLIED_OFFSET, releasesApplied);
        header.putLongRelease(TOKEN_SEQUENCE_OFFSET, ++tokenSequence);
        return true;
    }

    /**
     * @return the channel's file.
     */
    public Path file()
    {
        return file;
    }

    /**
     * Mark the channel closed, unmap it and remove the file (a consumer that mapped it keeps its mapping).
     */
    @Override
    public void close()
    {
        if (STATE_RUNNING == state() || STATE_STARTING == state())
        {
            state(STATE_CLOSED);
        }
        IoUtil.unmap(mapping);
        IoUtil.deleteIfExists(file.toFile());
    }
}
