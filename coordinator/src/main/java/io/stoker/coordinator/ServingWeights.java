package io.stoker.coordinator;

import io.stoker.transport.wire.MessageLimits;
import org.agrona.collections.Object2IntHashMap;
import org.agrona.collections.ObjIntConsumer;

/**
 * The weights of the jobs this coordinator runs, as data servers are told them ({@code JobServing}): a job's weight
 * (the one it was submitted with, kept by its {@link Job} and its checkpoint, so that a restarted coordinator
 * announces a restored job as submitted) announced once when the job starts, withdrawn (weight 0) when it ends, and
 * repeated to each data server that registers while the job runs.
 */
final class ServingWeights
{
    private final Object2IntHashMap<String> announced = new Object2IntHashMap<>(0);

    /**
     * @param weight a weight on the wire.
     * @return true when it is one a job may have.
     */
    static boolean isValid(final int weight)
    {
        return weight >= 1 && weight <= MessageLimits.MAX_JOB_WEIGHT;
    }

    /**
     * The job started (the scheduler tells each of its members: only the first time counts).
     *
     * @param weight the job's weight.
     * @return the weight to announce, or 0 when it was announced already.
     */
    int started(final String jobName, final int weight)
    {
        if (announced.containsKey(jobName))
        {
            return 0;
        }
        announced.put(jobName, weight);
        return weight;
    }

    /**
     * The job ended.
     *
     * @return true when it had been announced: withdraw it.
     */
    boolean ended(final String jobName)
    {
        return announced.removeKey(jobName) != 0;
    }

    /**
     * Visit the jobs announced and running, for a data server that registers.
     */
    void forEachRunning(final ObjIntConsumer<String> consumer)
    {
        announced.forEachInt(consumer);
    }
}
