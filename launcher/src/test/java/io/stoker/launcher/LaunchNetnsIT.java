package io.stoker.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stoker.dataset.Manifest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code examples/scripts/launch-netns.sh} run for real: a coordinator, two data servers and two workers, each
 * on a "host" of its own (a network namespace with its own address and host id), over Aeron UDP between the
 * namespaces. Skipped, with the script's reason, where it cannot run (not root, no network namespaces).
 */
class LaunchNetnsIT
{
    private static final Path SCRIPT = Path.of("..", "examples", "scripts", "launch-netns.sh");
    private static final Path JAR = Path.of(System.getProperty("stoker.jar", "target/stoker.jar"));
    private static final int CANNOT_RUN = 77;
    private static final int WORKERS = 2;
    private static final int EPOCHS = 2;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    @Test
    void workersOnHostsOfTheirOwnReceiveEverySampleOfEveryEpochExactlyOnceOverTheNetwork() throws Exception
    {
        final Path log = temp.resolve("launch.log");
        final ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString(), Integer.toString(WORKERS), "32MiB")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        builder.environment().put("STOKER_JAR", JAR.toAbsolutePath().toString());
        builder.environment().put("STOKER_WORK", temp.toString());
        builder.environment().put("STOKER_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        final Process script = builder.start();
        if (!script.waitFor(180, TimeUnit.SECONDS))
        {
            script.destroy();
            script.waitFor(30, TimeUnit.SECONDS);
            fail("launch-netns.sh did not finish in 180 s:\n" + Files.readString(log));
        }
        final String output = Files.readString(log, StandardCharsets.UTF_8);
        Assumptions.assumeFalse(CANNOT_RUN == script.exitValue(), output);
        assertEquals(0, script.exitValue(), output);

        final Manifest manifest = Manifest.read(temp.resolve("dataset").resolve(Manifest.FILE_NAME));
        for (int epoch = 0; epoch < EPOCHS; epoch++)
        {
            assertTrue(output.contains("epoch " + epoch + ": " + manifest.totalRecords() + " samples delivered"),
                output);
            assertEquals(manifest.totalRecords(), samplesDeliveredOnce(manifest, epoch), "epoch " + epoch);
        }
        assertTrue(output.contains(": COMPLETE"), output);
        for (int rank = 0; rank < WORKERS; rank++)
        {
            final String worker = Files.readString(temp.resolve("worker-" + rank + ".log"));
            assertTrue(worker.contains("joining 10.213.0.1:7400"), worker);
            assertTrue(worker.contains("on host-server-a (local+udp, 1 regions) over udp"), worker);
            assertTrue(worker.contains("read over local 0 B, rdma 0 B, udp "), worker);
            assertFalse(worker.contains("read over local 0 B, rdma 0 B, udp 0 B"), worker);
        }

        final Matcher prefix = Pattern.compile("namespace (stoker-\\d+)-coordinator").matcher(output);
        assertTrue(prefix.find(), output);
        final Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        final String namespaces = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        list.waitFor(10, TimeUnit.SECONDS);
        assertFalse(namespaces.contains(prefix.group(1) + "-"), "the script left namespaces behind: " + namespaces);
    }

    /**
     * @return the samples the workers' reports say they delivered in the epoch, after checking each is a sample
     * of the dataset delivered once.
     */
    private long samplesDeliveredOnce(final Manifest manifest, final int epoch) throws IOException
    {
        final Set<Long> seen = new HashSet<>();
        for (int rank = 0; rank < WORKERS; rank++)
        {
            final JsonNode report = new ObjectMapper().readTree(temp.resolve("worker-" + rank + ".json").toFile());
            for (final JsonNode epochNode : report.get("epochs"))
            {
                if (epochNode.get("epoch").asInt() != epoch)
                {
                    continue;
                }
                for (final JsonNode rankNode : epochNode.get("ranks"))
                {
                    for (final JsonNode step : rankNode.get("steps"))
                    {
                        final JsonNode samples = step.get("samples");
                        for (int i = 0; i < samples.size(); i += 2)
                        {
                            final int chunk = samples.get(i).asInt();
                            final int record = samples.get(i + 1).asInt();
                            assertTrue(chunk < manifest.chunkCount() && record < manifest.chunkRecordCount(chunk),
                                "chunk " + chunk + " record " + record);
                            assertTrue(seen.add((long)chunk << 32 | record),
                                "chunk " + chunk + " record " + record + " delivered twice in epoch " + epoch);
                        }
                    }
                }
            }
        }
        return seen.size();
    }
}
