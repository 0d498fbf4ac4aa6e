package io.stoker.transport.wire;

/**
 * The protocol's bounds: what a valid message may hold at most. The validator refuses anything larger
 * before a handler sees it, so nothing is allocated from a length on the wire beyond these.
 */
public final class MessageLimits
{
    /**
     * Most steps in one acknowledgement, or step ranges in one assignment.
     */
    public static final int MAX_STEPS_PER_MESSAGE = 4096;

    /**
     * Most segments a job's resumed epochs list: each resume opens one.
     */
    public static final int MAX_SEGMENTS = 64;

    /**
     * Most records of what ranks consumed before a resume, in one job message.
     */
    public static final int MAX_CONSUMED_RECORDS = 4096;

    /**
     * Most chunk ids listed missing in one epoch-complete message.
     */
    public static final int MAX_MISSING_PER_MESSAGE = 16_384;

    /**
     * Most regions in one advertisement message.
     */
    public static final int MAX_REGIONS_PER_MESSAGE = 256;

    /**
     * Longest host id.
     */
    public static final int MAX_HOST_ID_LENGTH = 255;

    /**
     * Longest channel a peer may name for its replies or its endpoints.
     */
    public static final int MAX_CHANNEL_LENGTH = 255;

    /**
     * Longest dataset id.
     */
    public static final int MAX_DATASET_ID_LENGTH = 64;

    /**
     * The largest weight of a job (its share of the data servers' bandwidth, relative to other jobs'); the least is 1.
     */
    public static final int MAX_JOB_WEIGHT = 1000;

    /**
     * Longest shard path in an advertisement.
     */
    public static final int MAX_PATH_LENGTH = 4096;

    /**
     * Longest free text: an error message or a reason.
     */
    public static final int MAX_TEXT_LENGTH = 1024;

    /**
     * Bytes of manifest in one part.
     */
    public static final int MAX_MANIFEST_PART_LENGTH = 256 * 1024;

    /**
     * Largest manifest a peer may announce.
     */
    public static final int MAX_MANIFEST_LENGTH = 256 * 1024 * 1024;

    /**
     * Chunk descriptors in one message: 32 B each and their record lengths, within {@link #MAX_MESSAGE_LENGTH}.
     */
    public static final int MAX_DESCRIPTORS_PER_MESSAGE = 4096;

    /**
     * Bytes of one chunk descriptor's record lengths (varints): a chunk of up to 128 Ki records of up to 127 bytes,
     * or fewer longer ones; a chunk whose records need more cannot be described (index it with smaller chunks).
     */
    public static final int MAX_RECORD_LENGTHS_LENGTH = 128 * 1024;

    /**
     * Bytes in one read-data frame (a 16-bit length; frames fit an MTU).
     */
    public static final int MAX_READ_DATA_LENGTH = 65_535;

    /**
     * Largest valid message: a manifest part with its dataset id and headers, with room to spare.
     */
    public static final int MAX_MESSAGE_LENGTH = MAX_MANIFEST_PART_LENGTH + 4096;

    private MessageLimits()
    {
    }
}
