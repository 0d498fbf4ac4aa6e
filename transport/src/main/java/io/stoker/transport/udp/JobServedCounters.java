package io.stoker.transport.udp;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.stoker.transport.status.CounterType;
import org.agrona.collections.Object2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * The bytes a data server served to each job, one counter per job in the media driver's counters file (type
 * {@link CounterType#BYTES_SERVED_TO_JOB}, labelled {@code "<owner> (job <name>): bytes served to job"}, the default
 * job's as {@code default}), where {@code stoker stat} reads them and the metrics endpoint serves each job's as its
 * own component. A job's counter is asked of the driver when the job appears at this server and
 * taken once the driver made it, without waiting on the duty cycle: bytes served meanwhile are kept and written
 * then. Removed when the job is forgotten.
 */
final class JobServedCounters implements ReadScheduler.Listener
{
    private final Aeron aeron;
    private final String owner;
    private final Object2ObjectHashMap<String, Entry> byJob = new Object2ObjectHashMap<>();
    private final List<Entry> pending = new ArrayList<>();

    /**
     * One job's count.
     */
    static final class Entry
    {
        private final long registrationId;
        private Counter counter;
        private long served;

        Entry(final long registrationId)
        {
            this.registrationId = registrationId;
        }

        /**
         * @param bytes bytes of a frame sent for the job.
         */
        void add(final int bytes)
        {
            served += bytes;
            if (null != counter)
            {
                counter.setRelease(served);
            }
        }

        /**
         * @return bytes served to the job.
         */
        long served()
        {
            return served;
        }
    }

    /**
     * @param aeron the client whose driver keeps the counters.
     * @param owner the first part of each label, e.g. {@code data server}.
     */
    JobServedCounters(final Aeron aeron, final String owner)
    {
        this.aeron = aeron;
        this.owner = owner;
    }

    @Override
    public void onJobAdded(final ReadScheduler.Job job)
    {
        final String label = owner + " (job " + (job.name().isEmpty() ? "default" : job.name()) + "): " +
            CounterType.BYTES_SERVED_TO_JOB.description();
        final Entry entry = new Entry(aeron.asyncAddCounter(CounterType.BYTES_SERVED_TO_JOB.typeId(), label));
        byJob.put(job.name(), entry);
        pending.add(entry);
    }

    @Override
    public void onJobRemoved(final ReadScheduler.Job job)
    {
        final Entry entry = byJob.remove(job.name());
        if (null != entry)
        {
            pending.remove(entry);
            aeron.asyncRemoveCounter(entry.registrationId);
        }
    }

    /**
     * @param jobName a job this server keeps.
     * @return its count, or null when it keeps nothing of the job.
     */
    Entry of(final String jobName)
    {
        return byJob.get(jobName);
    }

    /**
     * Take the counters the driver made since the last call.
     *
     * @return how many.
     */
    int poll()
    {
        int made = 0;
        for (int i = pending.size() - 1; i >= 0; i--)
        {
            final Entry entry = pending.get(i);
            final Counter counter = aeron.getCounter(entry.registrationId);
            if (null != counter)
            {
                entry.counter = counter;
                counter.setRelease(entry.served);
                pending.remove(i);
                made++;
            }
        }
        return made;
    }

    /**
     * Remove every job's counter.
     */
    void close()
    {
        for (final Entry entry : byJob.values())
        {
            if (null != entry.counter)
            {
                entry.counter.close();
            }
        }
        byJob.clear();
        pending.clear();
    }
}
