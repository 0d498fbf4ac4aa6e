package io.stoker.worker.shm;

import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Where everything lies in a shared-memory channel's file ({@code channel} beside the pool file {@code pool}); all
 * numbers little-endian. DESIGN.md describes the same layout byte by byte, for consumers in other languages.
 * <p>
 * The file: a 4096-byte header, the {@code batches} ring (worker to consumer) and the {@code releases} ring
 * (consumer to worker), each an Agrona {@link org.agrona.concurrent.ringbuffer.OneToOneRingBuffer}: a power of two
 * of record bytes followed by its {@link RingBufferDescriptor#TRAILER_LENGTH}-byte trailer.
 */
public final class ChannelLayout
{
    /**
     * "STOKSHM1" as a little-endian int64 at offset 0, written last, once the header is complete.
     */
    public static final long MAGIC = 0x314D48534B4F5453L;

    /**
     * Version of this layout; a consumer refuses another. 2: the memory kind, CUDA device slots and their IPC
     * handles, a header length, and each sample's slot. 3: the worker's lease deadline and the revoked batches,
     * which a consumer had to honour. 4: neither: every batch in the ring is confirmed by the coordinator as this
     * worker's before it is published, so a consumer takes whatever the ring holds.
     */
    public static final int VERSION = 4;

    /** int64: {@link #MAGIC}. */
    public static final int MAGIC_OFFSET = 0;
    /** int32: {@link #VERSION}. */
    public static final int VERSION_OFFSET = 8;
    /** int32: the worker's rank. */
    public static final int RANK_OFFSET = 12;
    /** int64: the worker's process id. */
    public static final int PID_OFFSET = 16;
    /** int64: the pool file's length in bytes. */
    public static final int POOL_LENGTH_OFFSET = 24;
    /** int32: bytes per pool buffer, a multiple of 4096. */
    public static final int BUFFER_LENGTH_OFFSET = 32;
    /** int32: buffers in the pool. */
    public static final int BUFFER_COUNT_OFFSET = 36;
    /** int32: record bytes of the batches ring (a power of two). */
    public static final int BATCHES_CAPACITY_OFFSET = 40;
    /** int32: record bytes of the releases ring (a power of two). */
    public static final int RELEASES_CAPACITY_OFFSET = 44;
    /** int32: the job's batch size (0: the chunk feed). */
    public static final int BATCH_SIZE_OFFSET = 48;
    /** int32: the job's epochs. */
    public static final int EPOCHS_OFFSET = 52;
    /** int64: the worker's heartbeat, milliseconds since the Unix epoch, renewed while it runs. */
    public static final int WORKER_HEARTBEAT_OFFSET = 56;
    /** int64: the consumer's heartbeat, milliseconds since the Unix epoch; 0 until a consumer attached. */
    public static final int CONSUMER_HEARTBEAT_OFFSET = 64;
    /** int32: the worker's state, one of the {@code STATE_} values. */
    public static final int STATE_OFFSET = 72;
    /** int32: the consumer lease in milliseconds. */
    public static final int LEASE_OFFSET = 76;
    /** int64: release records the worker applied before it took the token in the header. */
    public static final int RELEASES_APPLIED_OFFSET = 80;
    /** int64: the token's sequence: odd while the worker rewrites it (read, copy, read again, compare). */
    public static final int TOKEN_SEQUENCE_OFFSET = 88;
    /** int32: the token's length in bytes; 0 before the job started. */
    public static final int TOKEN_LENGTH_OFFSET = 96;
    /** int32: the job's world size. */
    public static final int WORLD_SIZE_OFFSET = 100;
    /** int64: the job's seed. */
    public static final int SEED_OFFSET = 104;
    /** int32: where the samples are, one of the {@code MEMORY_} values. */
    public static final int MEMORY_OFFSET = 112;
    /** int32: the CUDA device's ordinal with {@link #MEMORY_CUDA_SLOTS}, else -1. */
    public static final int DEVICE_OFFSET = 116;
    /** int32: device slots with {@link #MEMORY_CUDA_SLOTS}, else 0. */
    public static final int SLOT_COUNT_OFFSET = 120;
    /** int32: bytes per device slot with {@link #MEMORY_CUDA_SLOTS}, else 0. */
    public static final int SLOT_LENGTH_OFFSET = 124;
    /** int32: the header's length, where the batches ring starts: {@link #headerLength(int)}. */
    public static final int HEADER_LENGTH_OFFSET = 128;
    /** The resume token, ASCII ({@code stoker-resume-v2:...}). */
    public static final int TOKEN_OFFSET = 1024;
    /** Bytes the token may take. */
    public static final int TOKEN_CAPACITY = 3072;
    /** Bytes of the header's fixed part; with no device slots the batches ring starts here. */
    public static final int HEADER_LENGTH = 4096;
    /** Slot i's 64-byte {@code CUipcMemHandle} is at {@code IPC_HANDLES_OFFSET + 64 × i}. */
    public static final int IPC_HANDLES_OFFSET = HEADER_LENGTH;
    /** Bytes of one IPC handle. */
    public static final int IPC_HANDLE_LENGTH = 64;

    /** The samples are in the pool file, {@code DIR/pool}; a sample's offset is its offset in that file. */
    public static final int MEMORY_HOST_POOL = 0;
    /** The samples are in CUDA device slots; a sample names its slot and its offset within it. */
    public static final int MEMORY_CUDA_SLOTS = 1;

    /** Starting: the header is not complete. */
    public static final int STATE_STARTING = 0;
    /** The worker feeds the channel. */
    public static final int STATE_RUNNING = 1;
    /** The job ended: the end record is in the batches ring. */
    public static final int STATE_FINISHED = 2;
    /** The consumer's heartbeat stopped: the worker took no more batches and released nothing more. */
    public static final int STATE_CONSUMER_LOST = 3;
    /** The worker closed the channel. */
    public static final int STATE_CLOSED = 4;

    /** Batches ring: one batch. */
    public static final int MSG_BATCH = 1;
    /** Batches ring: the end of the job, with its outcome. */
    public static final int MSG_END = 2;
    /** Releases ring: a batch's sequence number. */
    public static final int MSG_RELEASE = 1;

    /** Batch record: int64 batch sequence number, from 0. */
    public static final int BATCH_SEQUENCE_OFFSET = 0;
    /** Batch record: int32 epoch. */
    public static final int BATCH_EPOCH_OFFSET = 8;
    /** Batch record: int32 segment. */
    public static final int BATCH_SEGMENT_OFFSET = 12;
    /** Batch record: int32 stream. */
    public static final int BATCH_STREAM_OFFSET = 16;
    /** Batch record: int32 step. */
    public static final int BATCH_STEP_OFFSET = 20;
    /** Batch record: int32 rank that delivered it. */
    public static final int BATCH_RANK_OFFSET = 24;
    /** Batch record: int32 samples. */
    public static final int BATCH_SIZE_FIELD_OFFSET = 28;
    /** Batch record: int32 samples missing (their chunk could not be read). */
    public static final int BATCH_MISSING_OFFSET = 32;
    /** Batch record: int32 the one length of every sample, 0 when they differ. */
    public static final int BATCH_SAMPLE_LENGTH_OFFSET = 36;
    /** Batch record: where the samples start. */
    public static final int BATCH_SAMPLES_OFFSET = 40;
    /**
     * A sample: int64 offset (in the pool file, or within the slot), int32 length, int32 chunk id, int32 record,
     * int32 slot (0 with the pool file).
     */
    public static final int SAMPLE_LENGTH = 24;
    /** Sample: int64 offset. */
    public static final int SAMPLE_OFFSET_OFFSET = 0;
    /** Sample: int32 length. */
    public static final int SAMPLE_LENGTH_OFFSET = 8;
    /** Sample: int32 chunk id. */
    public static final int SAMPLE_CHUNK_OFFSET = 12;
    /** Sample: int32 record. */
    public static final int SAMPLE_RECORD_OFFSET = 16;
    /** Sample: int32 slot. */
    public static final int SAMPLE_SLOT_OFFSET = 20;

    /** End record: int64 batches published. */
    public static final int END_BATCHES_OFFSET = 0;
    /** End record: int32 outcome, one of the {@code OUTCOME_} values. */
    public static final int END_OUTCOME_OFFSET = 8;
    /** End record's length. */
    public static final int END_LENGTH = 16;
    /** Every sample of every epoch delivered. */
    public static final int OUTCOME_COMPLETE = 0;
    /** The job ended with chunks no one could read. */
    public static final int OUTCOME_INCOMPLETE = 1;
    /** The worker stopped before the job ended. */
    public static final int OUTCOME_STOPPED = 2;

    /** Default record bytes of the batches ring: 4 MiB, batches of up to about 21,000 samples. */
    public static final int DEFAULT_BATCHES_CAPACITY = 4 << 20;
    /** Record bytes of the releases ring. */
    public static final int RELEASES_CAPACITY = 64 << 10;

    private ChannelLayout()
    {
    }

    /**
     * @param slots device slots whose IPC handles the header holds, 0 with the pool file.
     * @return the header's length: 4096, plus the handles rounded up to 4096 bytes.
     */
    public static int headerLength(final int slots)
    {
        if (slots < 0)
        {
            throw new IllegalArgumentException("slots must not be negative, was " + slots);
        }
        final int handles = slots * IPC_HANDLE_LENGTH;
        return HEADER_LENGTH + (handles + HEADER_LENGTH - 1) / HEADER_LENGTH * HEADER_LENGTH;
    }

    /**
     * @return where the batches ring starts with no device slots.
     */
    public static int batchesOffset()
    {
        return HEADER_LENGTH;
    }

    /**
     * @return where the releases ring starts with no device slots.
     */
    public static int releasesOffset(final int batchesCapacity)
    {
        return releasesOffset(HEADER_LENGTH, batchesCapacity);
    }

    /**
     * @return where the releases ring starts after a header of that length.
     */
    public static int releasesOffset(final int headerLength, final int batchesCapacity)
    {
        return headerLength + batchesCapacity + RingBufferDescriptor.TRAILER_LENGTH;
    }

    /**
     * @return the channel file's length with no device slots.
     */
    public static int fileLength(final int batchesCapacity, final int releasesCapacity)
    {
        return fileLength(HEADER_LENGTH, batchesCapacity, releasesCapacity);
    }

    /**
     * @return the channel file's length after a header of that length.
     */
    public static int fileLength(final int headerLength, final int batchesCapacity, final int releasesCapacity)
    {
        return releasesOffset(headerLength, batchesCapacity) + releasesCapacity + RingBufferDescriptor.TRAILER_LENGTH;
    }

    /**
     * @return where slot i's IPC handle is in the header.
     */
    public static int ipcHandleOffset(final int slot)
    {
        return IPC_HANDLES_OFFSET + slot * IPC_HANDLE_LENGTH;
    }

    /**
     * @return bytes of a batch record with that many samples.
     */
    public static int batchLength(final int samples)
    {
        return BATCH_SAMPLES_OFFSET + samples * SAMPLE_LENGTH;
    }
}
