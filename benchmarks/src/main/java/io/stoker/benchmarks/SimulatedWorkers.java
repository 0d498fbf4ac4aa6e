package io.stoker.benchmarks;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A duty cycle that multiplexes many {@link SimulatedWorker}s on one thread. Workers start their handshakes a few
 * at a time, as the pods of a large job come up over a while rather than in the same microsecond, so that the
 * coordinator's bound on pending handshakes does not refuse most of them.
 */
final class SimulatedWorkers implements Agent
{
    private static final int HANDSHAKES_AT_ONCE = 16;

    private final SimulatedWorker[] workers;
    private final NanoClock clock;
    private final AtomicInteger gate;
    private int started;

    /**
     * @param workers the workers this agent drives; closed with it.
     * @param clock   the duty cycle's clock.
     * @param gate    steps of epochs below it may be acknowledged; the simulation opens it epoch by epoch.
     */
    SimulatedWorkers(final List<SimulatedWorker> workers, final NanoClock clock, final AtomicInteger gate)
    {
        this.workers = workers.toArray(new SimulatedWorker[0]);
        this.clock = clock;
        this.gate = gate;
    }

    @Override
    public String roleName()
    {
        return "stoker-simulated-workers";
    }

    @Override
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        final int open = gate.get();
        int handshaking = 0;
        int work = 0;
        for (int i = 0; i < started; i++)
        {
            work += workers[i].doWork(nowNs, open);
            if (workers[i].isHandshaking())
            {
                handshaking++;
            }
        }
        if (started < workers.length && handshaking < HANDSHAKES_AT_ONCE)
        {
            started++;
            work++;
        }
        return work;
    }

    @Override
    public void onClose()
    {
        CloseHelper.closeAll(workers);
    }
}
