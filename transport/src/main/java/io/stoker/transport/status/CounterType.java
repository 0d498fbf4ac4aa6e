package io.stoker.transport.status;

/**
 * The counters Stoker processes keep in their media driver's counters file, where {@code stoker stat}
 * reads them. Each counter's label is {@code "<owner>: <description>"}.
 */
public enum CounterType
{
    BYTES_READ_LOCAL(1, "bytes read (local)"),
    BYTES_READ_RDMA(2, "bytes read (rdma)"),
    BYTES_READ_UDP(3, "bytes read (udp)"),
    CHUNKS_READ_LOCAL(4, "chunks read (local)"),
    CHUNKS_READ_RDMA(5, "chunks read (rdma)"),
    CHUNKS_READ_UDP(6, "chunks read (udp)"),
    CHUNKS_DELIVERED(7, "chunks delivered"),
    BYTES_DELIVERED(8, "bytes delivered"),
    READS_IN_FLIGHT(9, "reads in flight"),
    READ_RETRIES(10, "read retries"),
    READ_FAILURES(11, "read failures"),
    CHECKSUM_FAILURES(12, "checksum failures"),
    DUPLICATES_DROPPED(13, "duplicate chunks dropped"),
    CONSUMER_WAIT_NS(14, "consumer wait (ns)"),
    STEPS_ACKNOWLEDGED(15, "steps acknowledged"),
    CHUNKS_UNAVAILABLE(16, "chunks unavailable"),
    STEPS_REASSIGNED(17, "steps reassigned"),
    LEASE_EXPIRIES(18, "lease expiries"),
    INVALID_MESSAGES(19, "invalid messages"),
    ERRORS(20, "errors"),
    EPOCHS_COMPLETED(21, "epochs completed"),
    BYTES_SERVED(22, "bytes served"),
    READ_REQUESTS_SERVED(23, "read requests served"),
    MEMBERS(24, "members registered"),
    SESSIONS_REFUSED(25, "sessions refused"),
    SESSIONS_PENDING(26, "sessions pending"),
    AGENT_ERRORS(27, "errors escaping a duty cycle"),
    STEPS_DELIVERED(28, "steps delivered"),
    SAMPLES_DELIVERED(29, "samples delivered"),
    WORKERS_FENCED(40, "worker registrations fenced"),
    READS_FENCED(41, "reads refused (lease ended)"),
    JOB_STATE(50, "job state (0 waiting to start, 1 running, 2 finished)");

    /**
     * Type ids of Stoker's counters start here, clear of Aeron's own, its archive's and its cluster's.
     */
    public static final int TYPE_ID_BASE = 5_354_000;

    private final int typeId;
    private final String description;

    CounterType(final int offset, final String description)
    {
        this.typeId = TYPE_ID_BASE + offset;
        this.description = description;
    }

    /**
     * @return the counter type id in the counters file.
     */
    public int typeId()
    {
        return typeId;
    }

    /**
     * @return what the counter counts, as users read it.
     */
    public String description()
    {
        return description;
    }

    /**
     * @param typeId a Stoker counter's type id, see {@link #isStoker(int)}.
     * @return its type.
     */
    public static CounterType of(final int typeId)
    {
        for (final CounterType type : values())
        {
            if (type.typeId == typeId)
            {
                return type;
            }
        }
        throw new IllegalArgumentException("not a Stoker counter type: " + typeId);
    }

    /**
     * @return true for a level that goes up and down (reads in flight, members), false for a count that only grows.
     */
    public boolean isLevel()
    {
        return this == READS_IN_FLIGHT || this == MEMBERS || this == SESSIONS_PENDING || this == JOB_STATE;
    }

    /**
     * @param typeId a counter's type id.
     * @return true when it is one of Stoker's.
     */
    public static boolean isStoker(final int typeId)
    {
        for (final CounterType type : values())
        {
            if (type.typeId == typeId)
            {
                return true;
            }
        }
        return false;
    }
}
