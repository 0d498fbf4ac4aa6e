package io.stoker.launcher;

import io.stoker.transport.AeronConnector;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.concurrent.TimeUnit;

/**
 * Starts the launcher's agents, each on its own thread, with one idle strategy: spin briefly, then
 * yield, then park up to 200 µs. On a small machine agents must give the cores back when idle.
 */
final class Runners
{
    private Runners()
    {
    }

    /**
     * Run a process's one agent together with the duty cycle of its Aeron: one thread for the whole process.
     *
     * @param agentErrors counts what escapes the duty cycle: always a bug, which the tests look for.
     */
    static AgentRunner start(
        final AeronConnector connector,
        final Agent agent,
        final ErrorHandler errorHandler,
        final AtomicCounter agentErrors)
    {
        return start(new CompositeAgent(connector.invoker(), agent), errorHandler, agentErrors);
    }

    /**
     * @param agentErrors counts what escapes the duty cycle: always a bug, which the tests look for.
     */
    static AgentRunner start(final Agent agent, final ErrorHandler errorHandler, final AtomicCounter agentErrors)
    {
        final AgentRunner runner = new AgentRunner(
            new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200)),
            errorHandler, agentErrors, agent);
        AgentRunner.startOnThread(runner);
        return runner;
    }
}
