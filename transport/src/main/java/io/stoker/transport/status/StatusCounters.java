package io.stoker.transport.status;

import io.aeron.Aeron;
import io.aeron.Counter;
import org.agrona.CloseHelper;

import java.util.EnumMap;

/**
 * The counters of one Stoker component (a worker, a coordinator, a data server), allocated once in
 * the media driver's counters file so that {@code stoker stat} can read them from outside.
 */
public final class StatusCounters implements AutoCloseable
{
    private final String owner;
    private final EnumMap<CounterType, Counter> counters = new EnumMap<>(CounterType.class);

    /**
     * Allocate counters of the given types. Blocks for a round trip to the media driver per counter:
     * call at start-up, never from a duty cycle.
     *
     * @param aeron client connected to the driver that keeps the counters.
     * @param owner who the counters belong to, e.g. {@code "worker rank 0"}; the first part of each label.
     * @param types which counters.
     */
    public StatusCounters(final Aeron aeron, final String owner, final CounterType... types)
    {
        this.owner = owner;
        for (final CounterType type : types)
        {
            counters.put(type, aeron.addCounter(type.typeId(), owner + ": " + type.description()));
        }
    }

    /**
     * @return who the counters belong to, the first part of each label.
     */
    public String owner()
    {
        return owner;
    }

    /**
     * @param type a counter type allocated by this instance.
     * @return the counter.
     * @throws IllegalArgumentException if this component does not keep that counter.
     */
    public Counter get(final CounterType type)
    {
        final Counter counter = counters.get(type);
        if (null == counter)
        {
            throw new IllegalArgumentException(owner + " keeps no counter " + type);
        }
        return counter;
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(counters.values());
        counters.clear();
    }
}
