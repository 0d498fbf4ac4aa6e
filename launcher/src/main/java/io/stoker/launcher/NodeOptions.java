package io.stoker.launcher;

import io.stoker.transport.AeronConnector;
import io.stoker.transport.HostIds;
import io.stoker.transport.TransportDefaults;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.rdma.RdmaCapability;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Options every process of a distributed run shares: its media driver, the job token, its host id.
 */
final class NodeOptions
{
    /**
     * Embedded drivers live in {@code <tmp>/stoker-<role>-<pid>}, where {@code stoker stat} finds them.
     */
    static final String DRIVER_DIRECTORY_PREFIX = "stoker-";

    @Option(names = "--aeron-dir", paramLabel = "DIR",
        description = "Join the media driver running in DIR instead of starting one in this process.")
    String aeronDirectory;

    @Option(names = "--job-token-file", paramLabel = "FILE",
        description = "File holding the job's secret token (16+ bytes). Members prove it with an HMAC over a " +
        "fresh nonce; the token never travels. Without it the coordinator admits anyone.")
    Path jobTokenFile;

    @Option(names = "--host-id", paramLabel = "ID",
        description = "This machine's id: processes with the same id read each other's files directly. " +
        "Default: /etc/machine-id, else the host name.")
    String hostId;

    @Option(names = "--rdma-address", paramLabel = "IP",
        description = "Address of the RDMA device to use. Default: the first IPv4 address of the first RDMA " +
        "device's network interface; without a device or libdisni, RDMA is not used (one line says why).")
    String rdmaAddress;

    @Option(names = "--mtu", defaultValue = "" + TransportDefaults.MTU_LENGTH, paramLabel = "BYTES",
        description = "MTU of UDP publications of the embedded driver. Default: ${DEFAULT-VALUE}.")
    int mtu;

    @Option(names = "--term-length", defaultValue = "" + TransportDefaults.UDP_TERM_LENGTH, paramLabel = "BYTES",
        description = "Term length of UDP publications of the embedded driver (power of 2). Default: ${DEFAULT-VALUE}.")
    int termLength;

    @Option(names = "--socket-buffer", defaultValue = "" + TransportDefaults.SOCKET_BUFFER_LENGTH, paramLabel = "BYTES",
        description = "UDP socket send/receive buffers and receiver window of the embedded driver. " +
        "Default: ${DEFAULT-VALUE}.")
    int socketBuffer;

    /**
     * Connect a process whose agent does little work (coordinator, client): its Aeron runs on the
     * agent's thread, see {@link Runners#start(AeronConnector, org.agrona.concurrent.Agent, org.agrona.ErrorHandler)}.
     */
    AeronConnector connectInvoked(final String role)
    {
        return AeronConnector.connect(driver(role).invoked(true));
    }

    /**
     * Connect a process that moves data (data server, worker): its driver gets a thread of its own, so
     * the network work overlaps with the agent's copies.
     */
    AeronConnector connect(final String role)
    {
        return AeronConnector.connect(driver(role));
    }

    AeronConnector.Context driver(final String role)
    {
        final boolean embedded = null == aeronDirectory;
        return new AeronConnector.Context()
            .embeddedDriver(embedded)
            .aeronDirectoryName(embedded ? TransportDefaults.tempAeronDirectory(
                DRIVER_DIRECTORY_PREFIX + role + "-" + ProcessHandle.current().pid()) : aeronDirectory)
            .mtuLength(mtu)
            .udpTermLength(termLength)
            .socketBufferLength(socketBuffer)
            .errorHandler(ex -> System.err.println("stoker " + role + ": aeron: " + ex));
    }

    /**
     * Probe RDMA once for this process.
     *
     * @param owner names the process in the one line printed when RDMA cannot be used.
     * @return the capability, available or not.
     */
    RdmaCapability rdma(final String owner)
    {
        final RdmaCapability rdma = RdmaCapability.probe(rdmaAddress);
        if (!rdma.isAvailable())
        {
            System.out.println(owner + ": rdma not used: " + rdma.unavailableReason());
        }
        return rdma;
    }

    /**
     * Read the job token, or say in one line that the process runs without one.
     *
     * @param owner names the process in that line.
     * @return the token, or null without {@code --job-token-file}.
     */
    JobToken token(final String owner)
    {
        if (null == jobTokenFile)
        {
            System.err.println(owner + ": no --job-token-file: anyone who can reach this process can join the job " +
                "and read its data, and nothing it sends is sealed");
            return null;
        }
        return JobToken.read(jobTokenFile);
    }

    String hostId()
    {
        return null != hostId ? hostId : HostIds.local();
    }
}
