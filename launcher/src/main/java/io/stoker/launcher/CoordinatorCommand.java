package io.stoker.launcher;

import io.stoker.coordinator.CoordinatorAgent;
import io.stoker.coordinator.CoordinatorContext;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.status.CounterType;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code stoker coordinator}: plans the job's epochs and follows its progress, until stopped.
 */
@Command(
    name = "coordinator",
    mixinStandardHelpOptions = true,
    description = "Run the coordinator: membership, the job's epoch plans, progress and checkpoints. " +
        "Runs until interrupted (SIGINT/SIGTERM).")
final class CoordinatorCommand implements Callable<Integer>
{
    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
        description = "UDP endpoint to listen on, e.g. 10.0.0.1:7400. Nothing listens on 0.0.0.0 unless asked.")
    String listen;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
        description = "Journal and checkpoint the job's progress here; a coordinator restarted with the same DIR " +
            "resumes the job (a finished one answers its outcome).")
    Path checkpointDirectory;

    @Option(names = "--checkpoint-every", defaultValue = "" + CoordinatorContext.DEFAULT_CHECKPOINT_INTERVAL,
        paramLabel = "ACKS", description = "Checkpoint (compact the journal) after this many acknowledgements " +
        "(and at each epoch's end): bounds what a restart replays. Default: ${DEFAULT-VALUE}.")
    int checkpointEvery;

    @Option(names = "--ack-log", paramLabel = "FILE",
        description = "Append each acknowledgement the coordinator counts (once durable) to FILE as 'epoch segment " +
        "stream step rank': an audit trail of exactly-once delivery; with --checkpoint-dir it is rewritten from the " +
        "journal at start.")
    Path ackLog;

    @Option(names = "--lease-timeout", defaultValue = "5000", paramLabel = "MS",
        description = "A member not heard from for this long loses its lease. Default: ${DEFAULT-VALUE}.")
    long leaseTimeoutMs;

    @Option(names = "--heartbeat-interval", defaultValue = "500", paramLabel = "MS",
        description = "How often members and the coordinator heartbeat. Default: ${DEFAULT-VALUE}.")
    long heartbeatIntervalMs;

    @Option(names = "--handshake-timeout", defaultValue = "5000", paramLabel = "MS",
        description = "A member's handshake not complete after this long is given up, and what it held released. " +
        "Default: ${DEFAULT-VALUE}.")
    long handshakeTimeoutMs;

    @Option(names = "--max-jobs", defaultValue = "" + CoordinatorContext.DEFAULT_MAX_JOBS, paramLabel = "N",
        description = "Jobs kept at once, running or finished (a finished one answers a client that attaches late); " +
        "a new job takes the place of the oldest finished one no member holds, and is refused while all N are " +
        "unfinished or held. Default: ${DEFAULT-VALUE}.")
    int maxJobs;

    @Mixin
    NodeOptions node;

    @Mixin
    MetricsOptions metrics;

    @Override
    public Integer call()
    {
        Endpoints.check("--listen", listen);
        final ErrorHandler errorHandler = ex -> System.err.println("stoker coordinator: " + ex.getMessage());
        // The barrier is closed last: closing it lets the JVM's shutdown on SIGTERM or SIGINT proceed and halt, so
        // everything opened after it, the media driver and its directory, has to be closed and deleted first.
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
            AeronConnector connector = node.connectInvoked("coordinator");
            MetricsEndpoint ignoredMetrics = metrics.start("stoker coordinator", connector.aeronDirectoryName()))
        {
            final CoordinatorAgent coordinator = new CoordinatorAgent(new CoordinatorContext()
                .aeron(connector.aeron())
                .controlChannel(ControlProtocol.udpChannel(listen))
                .jobToken(node.token("stoker coordinator"))
                .checkpointDirectory(checkpointDirectory)
                .checkpointInterval(checkpointEvery)
                .ackLogFile(ackLog)
                .leaseTimeoutNs(TimeUnit.MILLISECONDS.toNanos(leaseTimeoutMs))
                .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(heartbeatIntervalMs))
                .handshakeTimeoutNs(TimeUnit.MILLISECONDS.toNanos(handshakeTimeoutMs))
                .maxJobs(maxJobs)
                .errorHandler(errorHandler)
                .logger(System.out::println));
            // The journal's fsyncs run on a thread of their own, off the coordinator's duty cycle.
            try (AgentRunner ignoredJournal = Runners.start(coordinator.journalAgent(), errorHandler,
                    coordinator.counters().get(CounterType.AGENT_ERRORS));
                AgentRunner ignored = Runners.start(connector, coordinator, errorHandler,
                    coordinator.counters().get(CounterType.AGENT_ERRORS)))
            {
                System.out.println("stoker coordinator: listening on " + listen + " (counters in " +
                    connector.aeronDirectoryName() + ")");
                barrier.await();
            }
        }
        return 0;
    }
}
