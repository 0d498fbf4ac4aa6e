package io.stoker.worker.shm;

import io.stoker.codecs.JobOutcome;
import io.stoker.plan.JobSpec;
import io.stoker.worker.Batch;
import io.stoker.worker.BufferPool;
import io.stoker.worker.Feed;
import io.stoker.worker.Chunk;
import io.stoker.worker.ResumeToken;
import io.stoker.worker.WorkerAgent;
import io.stoker.worker.WorkerJob;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

import java.util.function.Consumer;

import static io.stoker.worker.shm.ChannelLayout.DEFAULT_BATCHES_CAPACITY;
import static io.stoker.worker.shm.ChannelLayout.OUTCOME_COMPLETE;
import static io.stoker.worker.shm.ChannelLayout.OUTCOME_INCOMPLETE;
import static io.stoker.worker.shm.ChannelLayout.OUTCOME_STOPPED;
import static io.stoker.worker.shm.ChannelLayout.STATE_CONSUMER_LOST;
import static io.stoker.worker.shm.ChannelLayout.STATE_FINISHED;
import static io.stoker.worker.shm.ChannelLayout.TOKEN_CAPACITY;

/**
 * A worker's consumer that is a shared-memory channel: moves the worker's {@link Feed} into the channel's
 * {@code batches} ring, one batch at a time once the consumer took the one before (a batch leaves the feed only
 * once the coordinator confirmed it; when the ring cannot take it the batch waits here, nothing is lost), turns the
 * consumer's release records into {@link Batch#release()}, renews the worker's heartbeat and publishes the resume
 * token after releases. When the consumer's heartbeat stops for longer than the lease (or no consumer attaches in
 * time) it stops: it takes no more batches and releases none of those outstanding, so the coordinator gives those
 * steps to others, or the job is resumed from the consumer's last token.
 * <p>
 * Runs on one thread; with a worker on the same thread put this agent first, so that a token taken after a release
 * follows the worker's handling of it.
 *
 * @param <C> the chunks the worker delivers: in the shared pool, or in exported device slots.
 */
public final class ShmFeedAgent<C extends Chunk> implements Agent
{
    private final WorkerAgent<C> worker;
    private final ChannelSinkFactory<C> factory;
    private final Settings settings;
    private final ErrorHandler errorHandler;
    private final Consumer<Batch<C>> onPublished;
    private final EpochClock clock = SystemEpochClock.INSTANCE;
    private ShmChannel channel;
    private BatchPublisher<C> publisher;
    private ReleaseAdapter<C> releases;
    private Batch<C> pending;
    private long sequence;
    private long createdMs;
    private long lastHeartbeatMs;
    private long tokenReleases = -1;
    private volatile boolean ended;
    private volatile boolean consumerLost;

    /**
     * @param worker       the worker whose feed this agent drains.
     * @param factory      the worker's sink factory: where the pool is.
     * @param settings     the channel's ring size and the consumer's lease.
     * @param onPublished  told of each batch as it enters the ring (e.g. a delivery log), or null.
     * @param errorHandler told of bad release records.
     */
    public ShmFeedAgent(
        final WorkerAgent<C> worker,
        final ChannelSinkFactory<C> factory,
        final Settings settings,
        final Consumer<Batch<C>> onPublished,
        final ErrorHandler errorHandler)
    {
        this.worker = worker;
        this.factory = factory;
        this.settings = settings;
        this.onPublished = null != onPublished ? onPublished : batch -> {};
        this.errorHandler = errorHandler;
    }

    @Override
    public int doWork()
    {
        if (ended || consumerLost)
        {
            return 0;
        }
        final long nowMs = clock.time();
        if (null == channel)
        {
            return open(nowMs);
        }
        if (nowMs != lastHeartbeatMs)
        {
            channel.workerHeartbeat(nowMs);
            lastHeartbeatMs = nowMs;
        }
        int work = 0;
        if (tokenReleases != releases.applied())
        {
            publishToken();
            work++;
        }
        work += releases.poll();
        if (isConsumerLost(nowMs))
        {
            consumerLost = true;
            channel.state(STATE_CONSUMER_LOST);
            errorHandler.onError(new IllegalStateException("rank " + worker.job().rank() + ": the consumer of " +
                channel.file() + " sent no heartbeat for " + settings.leaseMs + " ms; stopping with " +
                releases.outstanding() + " batches unreleased"));
            return work + 1;
        }
        work += publish();
        return work;
    }

    private int open(final long nowMs)
    {
        final BufferPool pool = factory.pool();
        final WorkerJob job = worker.job();
        if (null == job || !factory.isReady())
        {
            return 0;
        }
        channel = ShmChannel.create(factory.directory().resolve(ShmSinkFactory.CHANNEL_FILE),
            settings.batchesCapacity, factory.ipcSlots());
        publisher = new BatchPublisher<>(channel.batches(), factory);
        releases = new ReleaseAdapter<>(channel.releases(), errorHandler);
        final JobSpec spec = job.spec();
        channel.workerHeartbeat(nowMs);
        publishToken();
        final long poolFileLength = null != factory.ipcSlots() ? 0 : pool.memory().capacity();
        channel.ready(job.rank(), poolFileLength, pool.bufferLength(), pool.capacity(),
            spec.batchSpec().batchSize(), spec.epochs(), spec.worldSize(), spec.seed(), settings.leaseMs);
        createdMs = nowMs;
        return 1;
    }

    private boolean isConsumerLost(final long nowMs)
    {
        final long heartbeat = channel.consumerHeartbeat();
        return 0 == heartbeat ? nowMs - createdMs > settings.attachTimeoutMs : nowMs - heartbeat > settings.leaseMs;
    }

    /**
     * Move the next batch from the feed into the ring once the consumer took every batch published: asking the feed
     * is what makes the worker claim the batch, and a batch reaches the feed's end only once the coordinator
     * confirmed it, so the ring holds at most one confirmed batch the consumer has not taken (what a worker killed
     * with its consumer can lose).
     */
    private int publish()
    {
        int work = 0;
        final Feed<Batch<C>> feed = worker.feed();
        while (null != pending || (publisher.isDrained() && null != (pending = feed.poll())))
        {
            if (!publisher.offer(pending, sequence))
            {
                return work;
            }
            releases.onPublished(sequence++, pending);
            onPublished.accept(pending);
            pending = null;
            work++;
        }
        if (feed.isFinished())
        {
            publishToken();
            if (publisher.offerEnd(sequence, outcome()))
            {
                channel.state(STATE_FINISHED);
                ended = true;
                work++;
            }
        }
        return work;
    }

    private int outcome()
    {
        final JobOutcome outcome = worker.outcome();
        if (null == outcome)
        {
            return OUTCOME_STOPPED;
        }
        return JobOutcome.COMPLETE == outcome ? OUTCOME_COMPLETE : OUTCOME_INCOMPLETE;
    }

    private void publishToken()
    {
        final long applied = null != releases ? releases.applied() : 0;
        final ResumeToken token = worker.resumeToken();
        if (null != token && !channel.token(token.toString(), applied))
        {
            errorHandler.onError(new IllegalStateException("the resume token is longer than the channel's " +
                TOKEN_CAPACITY + " bytes; the channel keeps the previous one"));
        }
        tokenReleases = applied;
    }

    /**
     * @return true once the job's end went into the ring.
     */
    public boolean isEnded()
    {
        return ended;
    }

    /**
     * @return true once the consumer's lease ended: the agent stopped.
     */
    public boolean isConsumerLost()
    {
        return consumerLost;
    }

    /**
     * @return batches published and not released, or 0 before the channel opened.
     */
    public int outstanding()
    {
        return null != releases ? releases.outstanding() : 0;
    }

    @Override
    public void onClose()
    {
        CloseHelper.close(channel);
    }

    @Override
    public String roleName()
    {
        return "stoker-shm-feed";
    }

    /**
     * How large the channel's ring is and how long the consumer may be silent.
     */
    public static final class Settings
    {
        int batchesCapacity = DEFAULT_BATCHES_CAPACITY;
        long leaseMs = 10_000;
        long attachTimeoutMs = 300_000;

        /**
         * @param bytes record bytes of the batches ring, a power of two; a batch record takes 40 + 24 per sample
         *              bytes and may take an eighth of it.
         * @return this.
         */
        public Settings batchesCapacity(final int bytes)
        {
            this.batchesCapacity = bytes;
            return this;
        }

        /**
         * @param ms how long the consumer's heartbeat may stop before the worker stops. Default 10 s.
         * @return this.
         */
        public Settings leaseMs(final long ms)
        {
            this.leaseMs = ms;
            return this;
        }

        /**
         * @param ms how long to wait for a consumer to attach once the channel is open. Default 300 s.
         * @return this.
         */
        public Settings attachTimeoutMs(final long ms)
        {
            this.attachTimeoutMs = ms;
            return this;
        }
    }
}
