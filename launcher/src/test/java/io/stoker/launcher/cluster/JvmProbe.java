package io.stoker.launcher.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Looks into another JVM the way an operator would: its threads and its heap through {@code jcmd}, its
 * resident memory and CPU time through {@code /proc}.
 */
final class JvmProbe
{
    private static final Pattern USED = Pattern.compile("generation\\s+total \\d+K, used (\\d+)K");
    private static final String JCMD = Path.of(ProcessHandle.current().info().command().orElse("java"))
        .resolveSibling("jcmd").toString();

    private JvmProbe()
    {
    }

    /**
     * @return bytes of heap in use after a full collection (young and old generations of the serial collector).
     */
    static long heapUsedAfterGc(final long pid)
    {
        jcmd(pid, "GC.run");
        final Matcher matcher = USED.matcher(jcmd(pid, "GC.heap_info"));
        long used = 0;
        boolean found = false;
        while (matcher.find())
        {
            used += Long.parseLong(matcher.group(1)) * 1024;
            found = true;
        }
        if (!found)
        {
            fail("no heap figures from jcmd " + pid + " GC.heap_info");
        }
        return used;
    }

    /**
     * @return the thread dump of the JVM.
     */
    static String threads(final long pid)
    {
        return jcmd(pid, "Thread.print");
    }

    /**
     * @return resident memory in bytes.
     */
    static long residentBytes(final long pid)
    {
        for (final String line : proc(pid, "status").split("\n"))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new AssertionError("no VmRSS for " + pid);
    }

    /**
     * @return CPU time used so far, in clock ticks (user + system).
     */
    static long cpuTicks(final long pid)
    {
        final String stat = proc(pid, "stat");
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static String proc(final long pid, final String file)
    {
        try
        {
            return Files.readString(Path.of("/proc", Long.toString(pid), file), StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static String jcmd(final long pid, final String command)
    {
        try
        {
            final Process process =
                new ProcessBuilder(JCMD, Long.toString(pid), command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || 0 != process.exitValue())
            {
                fail("jcmd " + pid + " " + command + " failed:\n" + output);
            }
            return output;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }
}
