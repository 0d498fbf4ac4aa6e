package io.stoker.coordinator;

import io.stoker.transport.wire.MessageLimits;
import org.agrona.collections.Object2IntHashMap;
import org.agrona.collections.ObjIntConsumer;

/**
 * The weights of the jobs this coordinator runs, as data servers are told them ({@code JobServing}): the weight
 * asked when a job was submitted, announced once when the job starts, withdrawn (weight 0) when it ends, and
 * repeated to each data server that registers while the job runs. A job no submission gave a weight (one restored
 * from a checkpoint) has weight 1. Not persisted: a restarted coordinator announces restored jobs with weight 1.
 */
final class ServingWeights
{
    /**
     * Weight of a job submitted without one.
     */
    static final int DEFAULT_WEIGHT = 1;

    private final Object2IntHashMap<String> asked = new Object2IntHashMap<>(0);
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
     * A submission of the job was accepted with this weight.
     */
    void submitted(final String jobName, final int weight)
    {
        asked.put(jobName, weight);
    }

    /**
     * The job started (the scheduler tells each of its members: only the first time counts).
     *
     * @return the weight to announce, or 0 when it was announced already.
     */
    int started(final String jobName)
    {
        if (announced.containsKey(jobName))
        {
            return 0;
        }
        final int weightAsked = asked.getValue(jobName);
        final int weight = 0 == weightAsked ? DEFAULT_WEIGHT : weightAsked;
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
        asked.removeKey(jobName);
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
