package io.stoker.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code examples/slurm/stoker-train.sbatch} run for real on this machine as a one-node allocation of two
 * tasks, with stand-ins for {@code srun} and {@code scontrol} (test resources) that start the steps' tasks here
 * with the variables Slurm sets: coordinator, data server, two workers, two DDP training processes
 * ({@code examples/python/ddp_train.py}) and {@code stoker submit}. Skipped, naming what is missing, where
 * {@code /usr/bin/python3} has no torch or numpy.
 */
class SlurmBatchScriptIT
{
    private static final Path SCRIPT = Path.of("..", "examples", "slurm", "stoker-train.sbatch");
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String JOB_ID = "9" + ProcessHandle.current().pid();
    private static final int TASKS = 2;
    private static final int BATCH = 16;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    @Test
    void twoTasksTrainOnEverySampleOnceWithTheRankAndWorldSizeSlurmGives() throws Exception
    {
        final Process probe = new ProcessBuilder("/usr/bin/python3", "-c", "import numpy, torch")
            .redirectErrorStream(true).start();
        final String missing = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && 0 == probe.exitValue(),
            "SKIPPED: /usr/bin/python3 cannot import numpy and torch: " + missing);

        final Path bin = Files.createDirectories(temp.resolve("slurm-bin"));
        for (final String tool : List.of("srun", "scontrol"))
        {
            try (InputStream in = SlurmBatchScriptIT.class.getResourceAsStream("/slurm/" + tool))
            {
                Files.write(bin.resolve(tool), in.readAllBytes());
            }
            assertTrue(bin.resolve(tool).toFile().setExecutable(true));
        }
        final Path dataset = temp.resolve("dataset");
        DatasetGenerator.generate(dataset, FormatSpec.parse("fixed:4096"), 16L << 20, 3, 8L << 20);
        final Manifest manifest = DatasetIndexer.index(dataset, null, 1 << 20);
        manifest.write(dataset.resolve(Manifest.FILE_NAME));

        final Path log = temp.resolve("sbatch.log");
        final ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toAbsolutePath().toString())
            .directory(temp.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        final Map<String, String> env = builder.environment();
        env.put("PATH", bin + ":" + Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin:/usr/sbin:/sbin");
        env.put("SLURM_SUBMIT_DIR", temp.toString());
        env.put("SLURM_JOB_ID", JOB_ID);
        env.put("SLURM_JOB_NODELIST", "localhost");
        env.put("SLURMD_NODENAME", "localhost");
        env.put("SLURM_JOB_NUM_NODES", "1");
        env.put("SLURM_NTASKS", Integer.toString(TASKS));
        env.put("STOKER_ROOT", ROOT.toString());
        env.put("STOKER_DATASET", dataset.toString());
        env.put("STOKER_EPOCHS", "1");
        env.put("STOKER_BATCH_SIZE", Integer.toString(BATCH));
        env.put("STOKER_IFACE", "lo");
        env.put("GLOO_SOCKET_IFNAME", "lo");
        env.put("STOKER_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        final Process sbatch = builder.start();
        if (!sbatch.waitFor(240, TimeUnit.SECONDS))
        {
            sbatch.destroy();
            sbatch.waitFor(30, TimeUnit.SECONDS);
            fail("the batch script did not finish in 240 s:\n" + Files.readString(log));
        }
        final String output = Files.readString(log, StandardCharsets.UTF_8);
        final Path work = temp.resolve("stoker-" + JOB_ID);
        assertEquals(0, sbatch.exitValue(), output + logs(work));

        final long steps = manifest.totalRecords() / (TASKS * BATCH);
        assertTrue(output.contains("epoch 0: " + manifest.totalRecords() + " samples delivered in " + steps +
            " steps per rank"), output);
        assertTrue(output.contains(": COMPLETE"), output);
        assertFalse(Files.exists(temp.resolve("stoker-" + JOB_ID + ".token")), "the token file is removed at the end");
        assertFalse(Files.exists(Path.of("/dev/shm", "stoker-" + JOB_ID)), "the ranks' shared memory is removed");

        final Set<String> trained = new HashSet<>();
        Double parameters = null;
        for (int rank = 0; rank < TASKS; rank++)
        {
            final JsonNode result = new ObjectMapper().readTree(work.resolve("out").resolve("rank-" + rank + ".json")
                .toFile());
            assertEquals(rank, result.get("rank").asInt());
            assertEquals(steps, result.get("steps").asLong(), "every rank takes the same number of steps");
            for (final JsonNode id : result.at("/epochs/0"))
            {
                assertTrue(trained.add(id.toString()), "sample " + id + " trained twice");
            }
            if (null != parameters)
            {
                assertEquals(parameters, result.get("param_sum").asDouble(), "DDP kept the replicas equal");
            }
            parameters = result.get("param_sum").asDouble();
            assertTrue(Files.readString(work.resolve("worker-" + rank + ".log")).contains("over local"),
                "the worker on the data server's node reads its files directly");
        }
        assertEquals(manifest.totalRecords(), trained.size(), "every sample trained once");
    }

    private static String logs(final Path work) throws IOException
    {
        final StringBuilder logs = new StringBuilder();
        if (Files.isDirectory(work))
        {
            try (var files = Files.list(work))
            {
                for (final Path file : files.filter(file -> file.toString().endsWith(".log")).sorted().toList())
                {
                    logs.append("\n--- ").append(file.getFileName()).append('\n').append(Files.readString(file));
                }
            }
        }
        return logs.toString();
    }
}
