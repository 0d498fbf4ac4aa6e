package io.stoker.launcher;

import picocli.CommandLine.Option;

/**
 * {@code --metrics HOST:PORT}, which every command that runs Stoker components shares.
 */
final class MetricsOptions
{
    @Option(names = "--metrics", paramLabel = "HOST:PORT",
        description = "Serve this process's counters (those `stoker stat` prints) at http://HOST:PORT/metrics in " +
        "the Prometheus text format. Default: not served.")
    String metrics;

    /**
     * Start the endpoint when the option was given.
     *
     * @param command        the command's name, for the line that says where the metrics are.
     * @param aeronDirectory the process's media driver directory.
     * @return the endpoint to close, or null when the option was not given (try-with-resources skips a null).
     */
    MetricsEndpoint start(final String command, final String aeronDirectory)
    {
        if (null == metrics)
        {
            return null;
        }
        final MetricsEndpoint endpoint = MetricsEndpoint.start(Endpoints.check("--metrics", metrics), aeronDirectory);
        System.out.println(command + ": metrics on http://" + metrics.substring(0, metrics.lastIndexOf(':')) + ":" +
            endpoint.port() + "/metrics");
        return endpoint;
    }
}
