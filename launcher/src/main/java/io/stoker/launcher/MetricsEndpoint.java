package io.stoker.launcher;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.stoker.transport.status.CounterType;
import org.agrona.CloseHelper;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Serves a process's counters, the ones {@code stoker stat} prints, at {@code http://HOST:PORT/metrics} in the
 * Prometheus text format, through the Prometheus client library's HTTP server. Each counter type is one metric,
 * {@code stoker_<type>} (a counter, {@code _total} in the exposition, or a gauge for levels such as reads in flight),
 * with the component that keeps it as the label {@code component}; the media driver's invalid packets are
 * {@code stoker_driver_invalid_packets}. Values are read from the driver's counters file at each scrape.
 */
final class MetricsEndpoint implements AutoCloseable
{
    private static final String INVALID_PACKETS = "stoker_driver_invalid_packets";

    private final DriverCounters counters;
    private final HTTPServer server;

    private MetricsEndpoint(final DriverCounters counters, final HTTPServer server)
    {
        this.counters = counters;
        this.server = server;
    }

    /**
     * Start serving.
     *
     * @param hostPort        where to listen, HOST:PORT (port 0: any free port, see {@link #port()}).
     * @param aeronDirectory  the process's media driver directory, whose counters are served.
     * @return the running endpoint.
     * @throws UncheckedIOException when the port cannot be bound, naming it.
     */
    static MetricsEndpoint start(final String hostPort, final String aeronDirectory)
    {
        final int colon = hostPort.lastIndexOf(':');
        final DriverCounters counters = new DriverCounters(new File(aeronDirectory));
        final PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new StokerCollector(counters));
        try
        {
            return new MetricsEndpoint(counters, HTTPServer.builder()
                .hostname(hostPort.substring(0, colon))
                .port(Integer.parseInt(hostPort.substring(colon + 1)))
                .registry(registry)
                .buildAndStart());
        }
        catch (final IOException ex)
        {
            counters.close();
            throw new UncheckedIOException("--metrics " + hostPort + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @return the port it listens on.
     */
    int port()
    {
        return server.getPort();
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(server, counters);
    }

    /**
     * One metric per counter type found in the driver, one sample per component; components that keep two counters
     * of a type (several data servers in one process) are summed.
     */
    private static final class StokerCollector implements MultiCollector
    {
        private final DriverCounters counters;

        StokerCollector(final DriverCounters counters)
        {
            this.counters = counters;
        }

        @Override
        public MetricSnapshots collect()
        {
            final Map<CounterType, Map<String, Long>> stoker = new LinkedHashMap<>();
            final Map<String, Long> invalidPackets = new LinkedHashMap<>();
            counters.forEach((type, owner, description, value) ->
                (null == type ? invalidPackets : stoker.computeIfAbsent(type, t -> new LinkedHashMap<>()))
                    .merge(owner, value, Long::sum));

            final List<MetricSnapshot> snapshots = new ArrayList<>();
            stoker.forEach((type, values) -> snapshots.add(snapshot(
                "stoker_" + type.name().toLowerCase(Locale.ROOT), type.description(), type.isLevel(), values)));
            if (!invalidPackets.isEmpty())
            {
                snapshots.add(snapshot(INVALID_PACKETS, "packets the media driver received that were not Aeron " +
                    "frames", false, invalidPackets));
            }
            return new MetricSnapshots(snapshots);
        }

        private static MetricSnapshot snapshot(
            final String name, final String help, final boolean level, final Map<String, Long> values)
        {
            if (level)
            {
                final GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name(name).help(help);
                values.forEach((component, value) -> gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(Labels.of("component", component)).value(value).build()));
                return gauge.build();
            }
            final CounterSnapshot.Builder counter = CounterSnapshot.builder().name(name).help(help);
            values.forEach((component, value) -> counter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(Labels.of("component", component)).value(value).build()));
            return counter.build();
        }
    }
}
