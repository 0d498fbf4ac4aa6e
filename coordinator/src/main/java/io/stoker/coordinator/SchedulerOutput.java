package io.stoker.coordinator;

import io.stoker.codecs.JobOutcome;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.status.CounterType;

/**
 * What the {@link JobScheduler} emits, in the order it decides it: messages to members (addressed by member id;
 * one that is gone is skipped), records for the journal, counts and log lines. The coordinator's agent
 * implements it with its publishers; a test records it.
 */
interface SchedulerOutput
{
    /**
     * Tell a member (a worker, or the client following the job) that the job started.
     */
    void jobStarted(int memberId, Job job);

    /**
     * Assign a worker steps of a stream to deliver, ascending.
     *
     * @param rank the worker's rank, which delivers them.
     */
    void assign(int memberId, int rank, long jobId, StreamId stream, int[] steps);

    /**
     * Tell a member an epoch completed.
     */
    void epochComplete(int memberId, long jobId, Job.EpochResult result);

    /**
     * Tell a member the job finished.
     */
    void jobComplete(int memberId, long jobId, JobOutcome outcome, int epochsCompleted);

    /**
     * Answer a worker's claim of a step for its consumer: confirmed (durable and counted: the worker hands the batch
     * out) or refused (the step is not the worker's: it drops the batch). The stream is named by its parts, so that
     * a confirmation made on the duty cycle allocates nothing.
     */
    void answer(int memberId, long jobId, int epoch, int segment, int stream, int step, boolean confirmed);

    /**
     * Offer a record to the journal: it comes back through {@link JobScheduler#onDurable} once durable.
     *
     * @return false when the journal could not take it.
     */
    boolean journal(int type, long jobId, StreamId stream, int step, int value);

    /**
     * Add to a counter.
     */
    void count(CounterType type, long delta);

    /**
     * A line for the log.
     */
    void log(String message);

    /**
     * An error: counted and handed to the error handler.
     */
    void error(String message);
}
