package io.stoker.launcher.cluster;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import org.agrona.IoUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real Stoker processes on loopback for the distributed tests: each started from the packaged
 * launcher jar with {@code java -jar}, its output in a log file, stopped with SIGKILL when asked.
 */
final class StokerProcesses implements AutoCloseable
{
    private static final Path JAR = Path.of(System.getProperty("stoker.jar", "target/stoker.jar"));

    final Path directory;
    final Path tokenFile;
    private final List<Node> nodes = new ArrayList<>();

    StokerProcesses(final Path directory) throws IOException
    {
        if (!Files.exists(JAR))
        {
            fail("the launcher jar " + JAR + " is missing: these tests run after `package`");
        }
        this.directory = directory;
        this.tokenFile = Files.writeString(directory.resolve("job.token"), "an-integration-test-token-0123456789");
    }

    /**
     * Generate and index a dataset with its manifest in the directory, as `stoker serve` expects.
     */
    Manifest dataset(final String format, final long bytes, final int chunkSize)
    {
        return dataset(format, bytes, chunkSize, bytes / 4);
    }

    /**
     * Generate and index a dataset in shards of about {@code shardBytes}.
     */
    Manifest dataset(final String format, final long bytes, final int chunkSize, final long shardBytes)
    {
        final Path dataset = directory.resolve("dataset");
        DatasetGenerator.generate(dataset, FormatSpec.parse(format), bytes, 17, shardBytes);
        final Manifest manifest = DatasetIndexer.index(dataset, null, chunkSize);
        manifest.write(dataset.resolve(Manifest.FILE_NAME));
        return manifest;
    }

    Path datasetDirectory()
    {
        return directory.resolve("dataset");
    }

    static String endpoint()
    {
        return endpoint("127.0.0.1");
    }

    /**
     * @return an endpoint on that address, with a port free on this host.
     */
    static String endpoint(final String address)
    {
        try (DatagramSocket socket = new DatagramSocket(0))
        {
            return address + ":" + socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    Node start(final String name, final String... args) throws IOException
    {
        return start(name, stoker(args));
    }

    /**
     * Start stoker under a wrapper, such as {@code ip netns exec NAME}, which must exec it (its pid is stoker's).
     */
    Node startWrapped(final String name, final List<String> wrapper, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(wrapper);
        command.addAll(stoker(args));
        return start(name, command);
    }

    /**
     * Start a process none of whose files may grow past {@code kib} KiB (the shell's {@code ulimit -f}): a write
     * beyond fails with "File too large" as one on a full disk would, for any user, and the JVM ignores the
     * signal that comes with it.
     */
    Node startWithFileSizeLimit(final long kib, final String name, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("bash", "-c", "ulimit -f " + kib + " && exec \"$@\"",
            "bash"));
        command.addAll(stoker(args));
        return start(name, command);
    }

    private static List<String> stoker(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            "java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return command;
    }

    private Node start(final String name, final List<String> command) throws IOException
    {
        final Path log = directory.resolve(name + ".log");
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        final Node node = new Node(name, process, log);
        nodes.add(node);
        return node;
    }

    /**
     * @return the CRC32C of a chunk, computed here from the shard file's bytes.
     */
    int fileCrc(final Manifest manifest, final int chunkId) throws IOException
    {
        final Path shard = datasetDirectory().resolve(manifest.shardPath(manifest.chunkShard(chunkId)));
        final ByteBuffer bytes = ByteBuffer.allocateDirect(manifest.chunkLength(chunkId));
        try (FileChannel channel = FileChannel.open(shard))
        {
            channel.read(bytes, manifest.chunkOffset(chunkId));
        }
        return new Crc32c().compute(bytes, 0, manifest.chunkLength(chunkId));
    }

    @Override
    public void close()
    {
        for (final Node node : nodes)
        {
            node.process.destroyForcibly();
        }
        for (final Node node : nodes)
        {
            try
            {
                node.process.waitFor(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            deleteDriverDirectories(node.process.pid());
        }
    }

    private static void deleteDriverDirectories(final long pid)
    {
        for (final String parent : new String[]{ "/dev/shm", System.getProperty("java.io.tmpdir") })
        {
            final java.io.File[] stale = new java.io.File(parent).listFiles(
                (dir, name) -> name.startsWith("stoker-") && name.endsWith("-" + pid));
            if (null != stale)
            {
                for (final java.io.File dir : stale)
                {
                    // A driver directory holds directories of its own (publications, images).
                    IoUtil.delete(dir, false);
                }
            }
        }
    }

    /**
     * One process.
     */
    static final class Node
    {
        final String name;
        final Process process;
        final Path log;

        Node(final String name, final Process process, final Path log)
        {
            this.name = name;
            this.process = process;
            this.log = log;
        }

        String log()
        {
            try
            {
                return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        Node awaitLog(final String text, final Duration timeout) throws InterruptedException
        {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (!log().contains(text))
            {
                if (System.nanoTime() > deadline || !process.isAlive() && !log().contains(text))
                {
                    fail(name + " did not log '" + text + "' (alive " + process.isAlive() + "):\n" + log());
                }
                Thread.sleep(20);
            }
            return this;
        }

        int awaitExit(final Duration timeout) throws InterruptedException
        {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                fail(name + " did not exit within " + timeout + ":\n" + log());
            }
            return process.exitValue();
        }

        /**
         * SIGSTOP or SIGCONT: the process freezes, or goes on, with everything it holds, as after a long GC pause.
         */
        void signal(final String signal) throws IOException, InterruptedException
        {
            assertEquals(0, new ProcessBuilder("kill", "-" + signal, "" + process.pid()).inheritIO().start().waitFor(),
                "kill -" + signal + " " + name);
        }

        /**
         * SIGKILL: no shutdown hook, no goodbye.
         */
        void kill9() throws InterruptedException
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
