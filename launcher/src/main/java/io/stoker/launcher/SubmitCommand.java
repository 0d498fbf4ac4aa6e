package io.stoker.launcher;

import io.stoker.codecs.JobOutcome;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.plan.JobSpec;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.ResumeToken;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code stoker submit}: submit a job and follow it to the end.
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = "Submit a job to the coordinator (or resume one from a worker's resume token, on any number of " +
        "ranks) and wait until it ends; print each epoch's result. Exits 0 when every sample of every epoch was " +
        "delivered, 1 when chunks were missing (listed by id).")
final class SubmitCommand implements Callable<Integer>
{
    @Option(names = "--coordinator", required = true, paramLabel = "HOST:PORT", description = "The coordinator.")
    String coordinator;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
        description = "UDP endpoint where this client receives the coordinator's messages.")
    String listen;

    @Option(names = "--dataset-id", paramLabel = "ID",
        description = "The dataset, as `stoker dataset index` and `stoker serve` print it; a resume token names it.")
    String datasetId;

    @Option(names = "--job", defaultValue = "", paramLabel = "NAME",
        description = "The job to submit, one of several a coordinator runs at once: at most 64 of [A-Za-z0-9._-]; " +
        "--job-token-file then holds that job's token (`stoker token --job NAME`). Default: the default job.")
    String job;

    @Option(names = "--world-size", required = true, description = "Number of worker ranks.")
    int worldSize;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the epoch order. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Mixin
    BatchOptions batches;

    @Option(names = "--resume-from", paramLabel = "TOKEN",
        description = "Resume the job a worker's resume token was taken in (`stoker worker` prints it when " +
        "stopped): from the token's step, on --world-size ranks, which may differ from the job's; the samples " +
        "not yet consumed are planned over them in equal steps. Needs batches; dataset, seed and batch options " +
        "come from the token.")
    String resumeFrom;

    @Option(names = "--timeout", defaultValue = "3600", paramLabel = "SECONDS",
        description = "Give up after this many seconds. Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Mixin
    NodeOptions node;

    @Mixin
    MetricsOptions metrics;

    private volatile boolean interrupted;

    @Override
    public Integer call() throws InterruptedException
    {
        Endpoints.check("--coordinator", coordinator);
        Endpoints.check("--listen", listen);
        // Closed last, see CoordinatorCommand: the JVM halts as soon as the barrier is closed.
        try (ShutdownSignalBarrier ignoredBarrier = new ShutdownSignalBarrier(() -> interrupted = true);
            AeronConnector connector = node.connectInvoked("client");
            MetricsEndpoint ignoredMetrics = metrics.start("stoker submit", connector.aeronDirectoryName()))
        {
            final ErrorHandler errorHandler = ex -> System.err.println("stoker submit: " + ex.getMessage());
            final JobSpec spec = spec();
            final JobClientAgent client = new JobClientAgent(connector.aeron(), ControlProtocol.udpChannel(coordinator),
                ControlProtocol.udpChannel(listen), node.token("stoker submit"), job, spec, errorHandler);
            try (AgentRunner ignored = Runners.start(connector, client, errorHandler,
                client.counters().get(CounterType.AGENT_ERRORS)))
            {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
                int printed = 0;
                boolean announced = false;
                while (null == client.outcome() && null == client.failure() && System.nanoTime() < deadline &&
                    !interrupted)
                {
                    if (!announced && client.isStarted())
                    {
                        System.out.printf("job %d: %d chunks, %d bytes per epoch, %s%n",
                            client.jobId(), client.chunkCount(), client.totalBytes(), spec.batchSpec());
                        announced = true;
                    }
                    printed = printEpochs(client, printed);
                    Thread.sleep(50);
                }
                printEpochs(client, printed);
                if (null != client.failure())
                {
                    System.err.println("stoker submit: " + client.failure());
                    return StokerCli.EXIT_INCOMPLETE;
                }
                if (interrupted)
                {
                    System.err.println("stoker submit: interrupted; the job goes on at the coordinator");
                    return StokerCli.EXIT_INCOMPLETE;
                }
                if (null == client.outcome())
                {
                    System.err.println("stoker submit: timed out after " + timeoutSeconds + " s");
                    return StokerCli.EXIT_INCOMPLETE;
                }
                System.out.println("job " + client.jobId() + ": " + client.outcome());
                return client.outcome() == JobOutcome.COMPLETE ? 0 : StokerCli.EXIT_INCOMPLETE;
            }
        }
    }

    /**
     * @return the job to submit: a new one from the options, or the one the resume token resumes.
     */
    private JobSpec spec()
    {
        if (null != resumeFrom)
        {
            return ResumeToken.parse(resumeFrom).resume(epochs, worldSize);
        }
        if (null == datasetId)
        {
            throw new IllegalArgumentException("give --dataset-id ID, or --resume-from TOKEN");
        }
        return JobSpec.of(datasetId, worldSize, epochs, seed, batches.spec());
    }

    private static int printEpochs(final JobClientAgent client, final int printed)
    {
        final var epochs = client.epochs();
        for (int i = printed; i < epochs.size(); i++)
        {
            System.out.println(RunSummary.epochLine(epochs.get(i)));
        }
        return epochs.size();
    }
}
