package io.stoker.transport.udp;

import io.stoker.transport.wire.MessageLimits;
import org.agrona.collections.Object2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides which job's reads a data server sends next: deficit round robin over the jobs that have data
 * connections at this server, in bytes, each job's quantum {@link #QUANTUM} times its weight, so that while several
 * jobs have reads waiting the bytes sent converge to the ratio of their weights, and a job with nothing to send now
 * (no reads waiting, or its publications pushing back) passes its turn to the others: the scheduler is work
 * conserving. Within a job, its connections ({@link Flow}s) take turns frame by frame, so one connection that floods
 * reads gets no more than its job's other connections either. A job that cannot send keeps no credit for later
 * (its deficit is cut to at most zero): it is not owed bandwidth it did not ask for.
 * <p>
 * Weights come from the coordinator ({@link #weight}, 1 to {@link #MAX_WEIGHT}; 0 forgets the job); a job this
 * server was told nothing about has weight {@link #DEFAULT_WEIGHT}. Each job counts the bytes sent for it
 * ({@link Job#served()}). Not thread safe: the data server's duty cycle owns it.
 */
public final class ReadScheduler
{
    /**
     * Bytes a job of weight 1 may send per turn: at least one frame, so every turn sends.
     */
    public static final int QUANTUM = 64 * 1024;

    /**
     * Weight of a job the coordinator said nothing about.
     */
    public static final int DEFAULT_WEIGHT = 1;

    /**
     * The largest weight a job may have.
     */
    public static final int MAX_WEIGHT = MessageLimits.MAX_JOB_WEIGHT;

    /**
     * Jobs this server keeps at once (with weights or connections): the coordinator is trusted, but bounded anyway.
     */
    public static final int MAX_JOBS = 4096;

    /**
     * One source of frames of a job: a data connection's waiting reads.
     */
    @FunctionalInterface
    public interface Flow
    {
        /**
         * Send one frame of this connection's oldest waiting read.
         *
         * @return the bytes sent (more than 0 for any frame sent, header included), or 0 when nothing waits or its
         * publication does not take a frame now.
         */
        int sendFrame();
    }

    /**
     * Told when a job appears at this server and when it is forgotten, for what is kept beside it (its counter).
     */
    public interface Listener
    {
        /**
         * @param job a job that appeared: a connection of it, or its weight, arrived.
         */
        void onJobAdded(Job job);

        /**
         * @param job a job forgotten: its weight was withdrawn and it has no connection left.
         */
        void onJobRemoved(Job job);
    }

    /**
     * A job as this server schedules it.
     */
    public static final class Job
    {
        private final String name;
        private final List<Flow> flows = new ArrayList<>();
        private int weight = DEFAULT_WEIGHT;
        private boolean weightGiven;
        private long deficit;
        private boolean inTurn;
        private int flowCursor;
        private long served;

        Job(final String name)
        {
            this.name = name;
        }

        /**
         * @return the job's name ("" for the default job).
         */
        public String name()
        {
            return name;
        }

        /**
         * @return its weight now.
         */
        public int weight()
        {
            return weight;
        }

        /**
         * @return bytes sent for it since it appeared at this server, as its flows reported them (the data server's
         * frames with their headers; its per-job counter holds the payload).
         */
        public long served()
        {
            return served;
        }

        /**
         * @return its data connections at this server.
         */
        public int flowCount()
        {
            return flows.size();
        }

        private int sendFrame()
        {
            final int size = flows.size();
            for (int i = 0; i < size; i++)
            {
                final int index = (flowCursor + i) % size;
                final int sent = flows.get(index).sendFrame();
                if (sent > 0)
                {
                    flowCursor = (index + 1) % size;
                    return sent;
                }
            }
            return 0;
        }
    }

    private final Object2ObjectHashMap<String, Job> jobsByName = new Object2ObjectHashMap<>();
    private final List<Job> active = new ArrayList<>();
    private final Listener listener;
    private int cursor;

    /**
     * @param listener told of jobs appearing and being forgotten.
     */
    public ReadScheduler(final Listener listener)
    {
        this.listener = listener;
    }

    /**
     * A data connection of a job opened: its frames are scheduled with the job's from now on.
     *
     * @param jobName the job its worker named.
     * @param flow    the connection's frames.
     * @return the job, or null when this server already keeps {@link #MAX_JOBS} jobs (refuse the connection).
     */
    public Job join(final String jobName, final Flow flow)
    {
        final Job job = jobOf(jobName);
        if (null != job)
        {
            if (job.flows.isEmpty())
            {
                active.add(job);
            }
            job.flows.add(flow);
        }
        return job;
    }

    /**
     * A data connection closed.
     *
     * @param job  the job it joined.
     * @param flow the connection's frames.
     */
    public void leave(final Job job, final Flow flow)
    {
        if (job.flows.remove(flow) && job.flows.isEmpty())
        {
            final int index = active.indexOf(job);
            active.remove(index);
            if (index < cursor)
            {
                cursor--;
            }
            if (cursor >= active.size())
            {
                cursor = 0;
            }
            job.deficit = 0;
            job.inTurn = false;
            forgetIfUnused(job);
        }
        job.flowCursor = 0;
    }

    /**
     * The coordinator set a job's weight.
     *
     * @param jobName the job.
     * @param weight  1 to {@link #MAX_WEIGHT}, or 0: the job ended, forget it once its connections are gone (its
     *                connections left meanwhile are served with the default weight).
     * @return false when the weight is out of range, or when it is a new job and this server keeps the most it may.
     */
    public boolean weight(final String jobName, final int weight)
    {
        if (weight < 0 || weight > MAX_WEIGHT)
        {
            return false;
        }
        if (0 == weight)
        {
            final Job job = jobsByName.get(jobName);
            if (null != job)
            {
                job.weight = DEFAULT_WEIGHT;
                job.weightGiven = false;
                forgetIfUnused(job);
            }
            return true;
        }
        final Job job = jobOf(jobName);
        if (null == job)
        {
            return false;
        }
        job.weight = weight;
        job.weightGiven = true;
        return true;
    }

    /**
     * Send frames, job by job in deficit round robin, until the budget is spent, the frames are sent, or no job has
     * a frame it can send. A job's turn that the budget cut short goes on at the next call.
     *
     * @param budgetBytes bytes that may be sent now (the last frame may pass it).
     * @param maxFrames   frames this call may send at most.
     * @return the frames sent.
     */
    public int serve(final long budgetBytes, final int maxFrames)
    {
        long budget = budgetBytes;
        int frames = 0;
        int idleTurns = 0;
        while (budget > 0 && frames < maxFrames && idleTurns < active.size())
        {
            final Job job = active.get(cursor);
            if (!job.inTurn)
            {
                job.deficit += (long)QUANTUM * job.weight;
                job.inTurn = true;
            }
            boolean sentAny = false;
            int sent = 1;
            while (job.deficit > 0 && budget > 0 && frames < maxFrames)
            {
                sent = job.sendFrame();
                if (0 == sent)
                {
                    break;
                }
                job.deficit -= sent;
                job.served += sent;
                budget -= sent;
                frames++;
                sentAny = true;
            }
            if (0 == sent)
            {
                job.deficit = Math.min(job.deficit, 0);
            }
            else if (job.deficit > 0)
            {
                break;
            }
            job.inTurn = false;
            cursor = (cursor + 1) % active.size();
            idleTurns = sentAny ? 0 : idleTurns + 1;
        }
        return frames;
    }

    /**
     * @param jobName a job.
     * @return the job, or null when this server keeps nothing of it.
     */
    public Job job(final String jobName)
    {
        return jobsByName.get(jobName);
    }

    /**
     * @return the jobs this server keeps now: those with connections or a weight.
     */
    public int jobCount()
    {
        return jobsByName.size();
    }

    private Job jobOf(final String jobName)
    {
        Job job = jobsByName.get(jobName);
        if (null == job)
        {
            if (jobsByName.size() >= MAX_JOBS)
            {
                return null;
            }
            job = new Job(jobName);
            jobsByName.put(jobName, job);
            listener.onJobAdded(job);
        }
        return job;
    }

    private void forgetIfUnused(final Job job)
    {
        if (!job.weightGiven && job.flows.isEmpty())
        {
            jobsByName.remove(job.name);
            listener.onJobRemoved(job);
        }
    }
}
