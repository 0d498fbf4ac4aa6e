package io.stoker.transport;

import io.aeron.CncFileDescriptor;
import io.aeron.driver.MediaDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real media drivers in child processes: the directory of one killed with -9 is removed; those of a live driver, of
 * a driver whose process is only stopped (SIGSTOP: its heartbeat is stale but its process lives) and of a dead
 * driver under another name are kept.
 */
class StaleDriverDirectoriesTest
{
    private static final long TIMEOUT_MS = 1_000;

    @TempDir
    Path parent;

    @Test
    void removesOnlyTheDirectoryOfADriverWhoseProcessDied() throws Exception
    {
        final Process killed = driverProcess("stoker-killed");
        final Process stopped = driverProcess("stoker-stopped");
        final Process foreign = driverProcess("someone-else");
        try (MediaDriver live = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(parent.resolve("stoker-live").toString())
            .dirDeleteOnShutdown(true)))
        {
            awaitCnc("stoker-killed");
            awaitCnc("stoker-stopped");
            awaitCnc("someone-else");
            killed.destroyForcibly().waitFor();
            foreign.destroyForcibly().waitFor();
            signal("STOP", stopped.pid());
            Thread.sleep(3 * TIMEOUT_MS);

            assertEquals(1, StaleDriverDirectories.sweep(parent.toFile(), TIMEOUT_MS));
            assertFalse(Files.exists(parent.resolve("stoker-killed")), "the dead driver's directory is gone");
            assertTrue(Files.exists(parent.resolve("stoker-stopped").resolve(CncFileDescriptor.CNC_FILE)),
                "a stopped process keeps its directory");
            assertTrue(Files.exists(parent.resolve("stoker-live").resolve(CncFileDescriptor.CNC_FILE)),
                "a live driver keeps its directory");
            assertTrue(Files.exists(parent.resolve("someone-else")), "not a Stoker directory: not ours to remove");
            assertEquals(0, StaleDriverDirectories.sweep(parent.toFile(), TIMEOUT_MS), "nothing more is stale");
        }
        finally
        {
            signal("CONT", stopped.pid());
            stopped.destroyForcibly().waitFor();
            killed.destroyForcibly().waitFor();
            foreign.destroyForcibly().waitFor();
        }
    }

    private Process driverProcess(final String name) throws IOException
    {
        final String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(List.of(java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            "-Daeron.dir=" + parent.resolve(name), "io.aeron.driver.MediaDriver"))
            .redirectErrorStream(true)
            .redirectOutput(parent.resolve(name + ".log").toFile())
            .start();
    }

    private void awaitCnc(final String name) throws InterruptedException
    {
        final File cnc = parent.resolve(name).resolve(CncFileDescriptor.CNC_FILE).toFile();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (cnc.length() < CncFileDescriptor.META_DATA_LENGTH)
        {
            assertTrue(System.nanoTime() < deadline, () -> "no driver started in " + name + ": " + log(name));
            Thread.sleep(20);
        }
        Thread.sleep(200);
    }

    private String log(final String name)
    {
        try
        {
            return Files.readString(parent.resolve(name + ".log"));
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }

    private static void signal(final String signal, final long pid) throws Exception
    {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
    }
}
