package io.stoker.launcher;

import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.Manifest;
import io.stoker.server.DataServerAgent;
import io.stoker.server.DataServerContext;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.rdma.RdmaCapability;
import io.stoker.transport.rdma.RdmaRegionServer;
import io.stoker.transport.udp.UdpRegionServer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ShutdownSignalBarrier;
import org.agrona.concurrent.SystemNanoClock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code stoker serve}: a data server, exporting a dataset's shards until stopped.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Run a data server: send the dataset's manifest to the coordinator, export its shard files as " +
        "regions (mapped files for same-host workers, RDMA where there is a device, UDP reads) until interrupted. " +
        "Several servers of the same dataset are replicas.")
final class ServeCommand implements Callable<Integer>
{
    @Option(names = "--coordinator", required = true, paramLabel = "HOST:PORT", description = "The coordinator.")
    String coordinator;

    @Option(names = "--dataset", required = true, paramLabel = "DIR",
        description = "The dataset directory; indexed on the fly when it has no matching " + Manifest.FILE_NAME + ".")
    Path dataset;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
        description = "UDP endpoint for the coordinator's messages and workers' read requests.")
    String listen;

    @Option(names = "--chunk-size", defaultValue = "4MiB", converter = SizeConverter.class,
        description = "Target chunk size when indexing, 64KiB to 64MiB. Default: ${DEFAULT-VALUE}.")
    long chunkSize;

    @Option(names = "--connection-timeout", defaultValue = "10000", paramLabel = "MS",
        description = "Drop a worker's data connection unreachable this long, and give up a handshake not complete " +
        "after this long. Default: ${DEFAULT-VALUE}.")
    long connectionTimeoutMs;

    @Option(names = "--rdma-port", defaultValue = "0", paramLabel = "PORT",
        description = "Port of the RDMA endpoint on the RDMA device's address; 0 picks a free one. " +
            "Default: ${DEFAULT-VALUE}.")
    int rdmaPort;

    @Mixin
    NodeOptions node;

    @Mixin
    MetricsOptions metrics;

    @Override
    public Integer call()
    {
        Endpoints.check("--coordinator", coordinator);
        Endpoints.check("--listen", listen);
        final Manifest manifest = DatasetIndexer.loadOrIndex(dataset, LocalCommand.chunkSize(chunkSize));
        final ErrorHandler errorHandler = ex -> System.err.println("stoker serve: " + ex.getMessage());
        // Closed last, see CoordinatorCommand: the JVM halts as soon as the barrier is closed.
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
            AeronConnector connector = node.connect("server");
            MetricsEndpoint ignoredMetrics = metrics.start("stoker serve", connector.aeronDirectoryName()))
        {
            final DataServerContext ctx = new DataServerContext()
                .aeron(connector.aeron())
                .datasetDirectory(dataset)
                .manifest(manifest)
                .hostId(node.hostId())
                .jobToken(node.token("stoker serve"))
                .coordinatorChannel(ControlProtocol.udpChannel(coordinator))
                .responseChannel(ControlProtocol.udpChannel(listen))
                .errorHandler(errorHandler)
                .logger(System.out::println);
            ctx.addRegionServer(c -> new UdpRegionServer(connector.aeron(), listen, c.jobToken(),
                SystemNanoClock.INSTANCE, TimeUnit.MILLISECONDS.toNanos(connectionTimeoutMs), c.counters(),
                c.errorHandler()));
            final RdmaCapability rdma = node.rdma("stoker serve");
            if (rdma.isAvailable())
            {
                ctx.addRegionServer(
                    c -> new RdmaRegionServer(rdma.address(), rdmaPort, c.jobToken(), c.nanoClock(), c.errorHandler()));
            }
            final DataServerAgent server = new DataServerAgent(ctx);
            try (AgentRunner ignored = Runners.start(server, errorHandler,
                server.counters().get(CounterType.AGENT_ERRORS)))
            {
                System.out.println("stoker serve: dataset " + manifest.datasetId() + " (" + manifest.chunkCount() +
                    " chunks) on " + listen + " (counters in " + connector.aeronDirectoryName() + ")");
                barrier.await();
            }
        }
        return 0;
    }
}
