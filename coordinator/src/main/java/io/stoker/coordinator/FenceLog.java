package io.stoker.coordinator;

/**
 * The last {@link #CAPACITY} worker registrations whose membership ended (their lease expired, a newer incarnation
 * superseded them, or their session registered again), oldest first: what the coordinator tells a data server that
 * registers, so that one restarted after a fence (and so without its memory of it) refuses that registration too.
 * Kept in memory only: a restarted coordinator starts with none.
 */
final class FenceLog
{
    /**
     * Most fences remembered: a data server registering is told at most this many (a 48-byte message each).
     */
    static final int CAPACITY = 4096;

    private final int[] memberIds = new int[CAPACITY];
    private final int[] ranks = new int[CAPACITY];
    private final long[] registrationIds = new long[CAPACITY];
    private long recorded;

    /**
     * A worker's membership ended; the oldest fence is forgotten when {@link #CAPACITY} are remembered.
     */
    void record(final int memberId, final int rank, final long registrationId)
    {
        final int index = (int)(recorded++ % CAPACITY);
        memberIds[index] = memberId;
        ranks[index] = rank;
        registrationIds[index] = registrationId;
    }

    /**
     * @return fences remembered.
     */
    int size()
    {
        return (int)Math.min(recorded, CAPACITY);
    }

    /**
     * @param i 0 for the oldest remembered, up to {@link #size()} - 1 for the latest.
     * @return the fenced worker's member id.
     */
    int memberId(final int i)
    {
        return memberIds[index(i)];
    }

    /**
     * @return the fenced worker's rank, see {@link #memberId}.
     */
    int rank(final int i)
    {
        return ranks[index(i)];
    }

    /**
     * @return the fenced registration's correlation id, see {@link #memberId}.
     */
    long registrationId(final int i)
    {
        return registrationIds[index(i)];
    }

    private int index(final int i)
    {
        return (int)((recorded - size() + i) % CAPACITY);
    }
}
