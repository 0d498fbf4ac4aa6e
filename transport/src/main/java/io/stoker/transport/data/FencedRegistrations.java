package io.stoker.transport.data;

import org.agrona.collections.LongArrayQueue;
import org.agrona.collections.LongHashSet;

/**
 * The worker registrations a data server was told are fenced (their lease with the coordinator ended), remembered up
 * to {@link #MAX_FENCED}, the oldest forgotten first: a registration is 64 random bits, never reused, so forgetting
 * an old one only matters for a worker paused for longer than that many later fences.
 */
public final class FencedRegistrations
{
    /**
     * Most fenced registrations remembered.
     */
    public static final int MAX_FENCED = 65536;

    private final LongHashSet fenced = new LongHashSet();
    private final LongArrayQueue inOrder = new LongArrayQueue();

    /**
     * Remember a registration as fenced.
     *
     * @param registrationId the correlation id of the worker's registration whose lease ended.
     * @return true when it was not fenced before (as far as remembered).
     */
    public boolean add(final long registrationId)
    {
        if (!fenced.add(registrationId))
        {
            return false;
        }
        inOrder.addLong(registrationId);
        if (inOrder.size() > MAX_FENCED)
        {
            fenced.remove(inOrder.pollLong());
        }
        return true;
    }

    /**
     * @return true when the registration's lease ended (as far as remembered).
     */
    public boolean contains(final long registrationId)
    {
        return fenced.contains(registrationId);
    }
}
