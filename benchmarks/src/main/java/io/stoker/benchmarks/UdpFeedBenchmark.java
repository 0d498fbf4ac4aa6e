package io.stoker.benchmarks;

import io.stoker.dataset.Sizes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The distributed feed over Aeron UDP against two peers moving the same chunks over loopback, in the
 * same run: a plain Java TCP copy and Apache Arrow Flight. Stoker runs as three processes (coordinator,
 * data server, worker, plus the submitting client) with CRC32C checked on every chunk; the peers check
 * nothing. Prints each in GB/s and the ratios; every feed is timed from the end of its first epoch.
 * <p>
 * {@code benchmarks/run udp [SIZE (512MiB)] [EPOCHS (6)]}; the launcher jar must be built.
 */
public final class UdpFeedBenchmark
{
    private static final Path LAUNCHER = Path.of("launcher/target/stoker.jar");

    public static void main(final String[] args) throws Exception
    {
        final long size = Sizes.parse(LocalFeedBenchmark.arg(args, 0, "512MiB"));
        final int epochs = Integer.parseInt(LocalFeedBenchmark.arg(args, 1, "6"));
        final BenchDataset dataset = BenchDataset.prepare(
            Path.of("benchmarks/target/bench-data/fixed-" + size), "fixed:4096", size, 4 << 20);

        final double tcp = TcpCopyPeer.run(dataset.directory, dataset.manifest, epochs);
        System.out.printf("tcp copy:      %.2f GB/s%n", tcp / 1e9);
        final double flight = FlightPeer.run(dataset.directory, dataset.manifest, epochs);
        System.out.printf("arrow flight:  %.2f GB/s%n", flight / 1e9);
        final double stoker = stokerUdp(dataset, epochs);
        System.out.printf("stoker udp:    %.2f GB/s%n", stoker / 1e9);

        System.out.printf("%nudp feed: %s in %d chunks x %d epochs over loopback%n",
            Sizes.format(dataset.manifest.totalBytes()), dataset.manifest.chunkCount(), epochs);
        System.out.printf("  plain TCP copy (transferTo -> direct buffer)   %6.2f GB/s%n", tcp / 1e9);
        System.out.printf("  Arrow Flight DoGet (binary vector per chunk)   %6.2f GB/s%n", flight / 1e9);
        System.out.printf("  stoker, 3 processes over Aeron UDP, CRC32C on  %6.2f GB/s  = %.2fx TCP, %.2fx Flight%n",
            stoker / 1e9, stoker / tcp, stoker / flight);
    }

    /**
     * Start a coordinator, a data server and a worker on loopback, submit the job, and time it from the
     * end of the first epoch (start-up and JIT warm-up of three JVMs done) to the job's completion, as
     * the submitting client sees them.
     */
    private static double stokerUdp(final BenchDataset dataset, final int epochs) throws Exception
    {
        final String coordinator = endpoint();
        final List<Process> processes = new ArrayList<>();
        try
        {
            processes.add(start("coordinator", "--listen", coordinator));
            Thread.sleep(1500);
            processes.add(start("serve", "--coordinator", coordinator, "--listen", endpoint(),
                "--dataset", dataset.directory.toString(), "--host-id", "bench-server"));
            processes.add(start("worker", "--coordinator", coordinator, "--listen", endpoint(), "--rank", "0",
                "--host-id", "bench-worker"));
            final Process submit = start("submit", "--coordinator", coordinator, "--listen", endpoint(),
                "--dataset-id", dataset.manifest.datasetId(), "--world-size", "1", "--epochs", "" + epochs);
            processes.add(submit);

            long startNs = 0;
            long endNs = 0;
            try (BufferedReader out = new BufferedReader(
                new InputStreamReader(submit.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while (null != (line = out.readLine()))
                {
                    if (line.startsWith("epoch 0: "))
                    {
                        startNs = System.nanoTime();
                    }
                    else if (line.endsWith(": COMPLETE"))
                    {
                        endNs = System.nanoTime();
                    }
                }
            }
            if (!submit.waitFor(10, TimeUnit.MINUTES) || submit.exitValue() != 0 || 0 == endNs)
            {
                throw new IllegalStateException("the UDP feed did not complete");
            }
            return dataset.manifest.totalBytes() * (double)(epochs - 1) / ((endNs - startNs) / 1e9);
        }
        finally
        {
            processes.forEach(Process::destroy);
            for (final Process process : processes)
            {
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Process start(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("java", "-jar", LAUNCHER.toString()));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (!"submit".equals(args[0]))
        {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        return builder.start();
    }

    private static String endpoint() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0))
        {
            return "127.0.0.1:" + socket.getLocalPort();
        }
    }

    private UdpFeedBenchmark()
    {
    }
}
