package io.stoker.launcher.cluster;

import io.stoker.dataset.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --metrics HOST:PORT}: a coordinator and a data server, real processes, serve their counters in the
 * Prometheus text format, and a scrape says what {@code stoker stat} reads from the same counters file, before and
 * after hostile datagrams and a job.
 */
class MetricsIT
{
    private static final Pattern SAMPLE = Pattern.compile("^(stoker_[a-z_]+)\\{component=\"([^\"]*)\"} (\\S+)$");
    private static final int KIB = 1024;
    private static final int DATAGRAMS = 7;
    private static final int EPOCHS = 2;

    @TempDir
    Path temp;

    @Test
    void coordinatorAndDataServerServeTheCountersStatReadsAndTheyMoveWithTheRun() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 2 * KIB * KIB, 128 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            final String coordinatorMetrics = "127.0.0.1:" + freeTcpPort();
            final String serverMetrics = "127.0.0.1:" + freeTcpPort();
            run.coordinator("--metrics", coordinatorMetrics);
            run.server("server-a", "--metrics", serverMetrics);
            assertTrue(run.coordinator.log().contains("metrics on http://" + coordinatorMetrics + "/metrics"),
                run.coordinator.log());

            final Map<String, Double> before = scrape(coordinatorMetrics);
            assertEquals(run.coordinatorCounters().value("coordinator: members registered"),
                before.get("stoker_members coordinator"), "a gauge, as stat reads it: " + before);
            assertEquals(run.coordinatorCounters().invalidPackets(),
                before.get("stoker_driver_invalid_packets_total media driver"), before.toString());

            Intruder.datagrams(run.coordinatorEndpoint, Collections.nCopies(DATAGRAMS, new byte[]{ 1, 2, 3 }));
            awaitValue(coordinatorMetrics, "stoker_driver_invalid_packets_total media driver",
                before.get("stoker_driver_invalid_packets_total media driver") + DATAGRAMS);
            assertEquals(run.coordinatorCounters().invalidPackets(),
                scrape(coordinatorMetrics).get("stoker_driver_invalid_packets_total media driver"));

            run.workers(2);
            final StokerProcesses.Node submit = run.submit(2, EPOCHS);
            run.assertCompletesExactlyOnce(submit, EPOCHS, Set.of());

            final Map<String, Double> coordinator = scrape(coordinatorMetrics);
            final long acknowledged = run.coordinatorCounters().value("coordinator: steps acknowledged");
            assertTrue(acknowledged > 0, "the job acknowledged steps");
            assertEquals(acknowledged, coordinator.get("stoker_steps_acknowledged_total coordinator"));
            assertEquals(EPOCHS, coordinator.get("stoker_epochs_completed_total coordinator"));
            final Map<String, Double> server = scrape(serverMetrics);
            final long served = run.serverCounters(0).value("data server: bytes served");
            assertTrue(served >= manifest.totalBytes() * EPOCHS, "the server served every epoch: " + served);
            assertEquals(served, server.get("stoker_bytes_served_total data server"), server.toString());
            assertEquals(served, run.serverCounters(0).value("data server (job default): bytes served to job"),
                "the one job, the default, was served every byte, as stat reads it");
            assertEquals(served, server.get("stoker_bytes_served_to_job_total data server (job default)"),
                server.toString());
            final String serverLog = run.servers.get(0)
                .awaitLog("job (default) ended: forgetting it", ClusterRun.START).log();
            assertTrue(serverLog.contains("job (default) served at weight 1") &&
                serverLog.indexOf("job (default) ended: forgetting it") >
                serverLog.indexOf("job (default) served at weight 1"),
                "the coordinator told the data server the job's weight at its start and its end: " + serverLog);
        }
    }

    /**
     * @return {"metric component": value} of every Stoker sample of a scrape, after checking its content type.
     */
    private static Map<String, Double> scrape(final String hostPort) throws Exception
    {
        final HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://" + hostPort + "/metrics")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
            response.headers().toString());
        final Map<String, Double> samples = new LinkedHashMap<>();
        for (final String line : List.of(response.body().split("\n")))
        {
            final Matcher matcher = SAMPLE.matcher(line);
            if (matcher.matches())
            {
                samples.put(matcher.group(1) + " " + matcher.group(2), Double.parseDouble(matcher.group(3)));
            }
        }
        return samples;
    }

    private static void awaitValue(final String hostPort, final String sample, final double value) throws Exception
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Double seen = null;
        while (System.nanoTime() < deadline)
        {
            seen = scrape(hostPort).get(sample);
            if (null != seen && seen == value)
            {
                return;
            }
            Thread.sleep(50);
        }
        assertEquals(value, seen, sample);
    }

    private static int freeTcpPort()
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
