package io.stoker.launcher;

import io.aeron.CncFileDescriptor;
import io.stoker.transport.TransportDefaults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code stoker stat}: print the counters of running Stoker processes, as AeronStat prints Aeron's.
 */
@Command(
    name = "stat",
    mixinStandardHelpOptions = true,
    description = "Print the counters of running Stoker processes (bytes and chunks per transport, reads in " +
        "flight, retries, checksum failures, lease expiries, consumer wait...), refreshed every second. Without " +
        "--aeron-dir, every Stoker process on this host that runs its own media driver.")
final class StatCommand implements Callable<Integer>
{
    @Option(names = "--aeron-dir", paramLabel = "DIR", description = "Read only the media driver in DIR.")
    File aeronDirectory;

    @Option(names = "--interval", defaultValue = "1000", paramLabel = "MS",
        description = "Refresh interval. Default: ${DEFAULT-VALUE}.")
    long intervalMs;

    @Option(names = "--once", description = "Print once and exit.")
    boolean once;

    @Override
    public Integer call() throws InterruptedException
    {
        do
        {
            final List<File> directories = null != aeronDirectory ? List.of(aeronDirectory) : stokerDirectories();
            if (directories.isEmpty())
            {
                System.out.println("no running Stoker process found in " + parent());
            }
            for (final File directory : directories)
            {
                print(directory, System.out);
            }
            if (!once)
            {
                Thread.sleep(intervalMs);
                System.out.println();
            }
        }
        while (!once);
        return 0;
    }

    /**
     * Print one driver's Stoker counters.
     */
    static void print(final File directory, final PrintStream out)
    {
        if (!new File(directory, CncFileDescriptor.CNC_FILE).exists())
        {
            out.println(directory + ": no media driver here");
            return;
        }
        try (DriverCounters counters = new DriverCounters(directory))
        {
            out.println(directory + " (pid " + counters.pid() +
                (ProcessHandle.of(counters.pid()).isPresent() ? "" : ", not running") + ")");
            counters.forEach((type, owner, description, value) ->
                out.printf("  %,20d  %s: %s%n", value, owner, description));
        }
    }

    private static List<File> stokerDirectories()
    {
        final File[] candidates =
            parent().listFiles((dir, name) -> name.startsWith(NodeOptions.DRIVER_DIRECTORY_PREFIX));
        final List<File> live = new ArrayList<>();
        if (null != candidates)
        {
            Arrays.sort(candidates);
            for (final File candidate : candidates)
            {
                if (new File(candidate, CncFileDescriptor.CNC_FILE).exists() && isRunning(candidate))
                {
                    live.add(candidate);
                }
            }
        }
        return live;
    }

    private static boolean isRunning(final File directory)
    {
        final String name = directory.getName();
        final String pid = name.substring(name.lastIndexOf('-') + 1);
        return pid.chars().allMatch(Character::isDigit) && ProcessHandle.of(Long.parseLong(pid)).isPresent();
    }

    private static File parent()
    {
        return new File(TransportDefaults.tempAeronDirectory("x")).getParentFile();
    }
}
