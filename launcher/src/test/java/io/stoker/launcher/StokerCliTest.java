package io.stoker.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.ChunkRecords;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.RecordTable;
import io.stoker.dataset.Sizes;
import io.stoker.worker.gpu.Cuda;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StokerCliTest
{
    @TempDir
    Path temp;

    @Test
    void generateIndexAndFeedWithAReportThatAuditsExactlyOnceDelivery() throws IOException
    {
        final Path dataset = temp.resolve("data");
        assertEquals(0, run("dataset", "generate", dataset.toString(), "--format", "tfrecord:5000", "--size", "6MiB",
            "--seed", "3", "--shard-size", "2MiB").status);
        final Result index = run("dataset", "index", dataset.toString(), "--chunk-size", "256KiB");
        assertEquals(0, index.status, index.err);
        final Manifest manifest = Manifest.read(dataset.resolve(Manifest.FILE_NAME));

        final Path report = temp.resolve("run.json");
        final Result local = run("local", "--dataset", dataset.toString(), "--workers", "2", "--epochs", "2",
            "--seed", "11", "--chunk-size", "256KiB", "--batch-size", "32", "--shuffle-window", "4", "--no-progress",
            "--report", report.toString());
        assertEquals(0, local.status, local.err);

        final JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertEquals(manifest.chunkCount(), json.at("/dataset/chunks").asInt());
        assertEquals(32, json.at("/job/batchSize").asInt());
        assertEquals(0, json.at("/totals/checksumFailures").asInt());
        final Map<Integer, Integer> recordsOfChunk = new HashMap<>();
        for (final JsonNode chunk : json.at("/dataset/chunkTable"))
        {
            final int id = chunk.get("id").asInt();
            assertEquals(manifest.shardPath(manifest.chunkShard(id)), chunk.get("shard").asText());
            assertEquals(manifest.chunkOffset(id), chunk.get("offset").asLong());
            recordsOfChunk.put(id, chunk.get("records").asInt());
        }
        assertEquals(manifest.chunkCount(), recordsOfChunk.size());

        long samples = 0;
        for (final JsonNode epoch : json.get("epochs"))
        {
            final Set<Long> expected = new HashSet<>();
            recordsOfChunk.forEach((chunk, records) ->
                IntStream.range(0, records).forEach(record -> expected.add(pair(chunk, record))));
            final JsonNode dropped = epoch.get("dropped");
            for (int i = 0; i < dropped.size(); i += 2)
            {
                assertTrue(expected.remove(pair(dropped.get(i).asInt(), dropped.get(i + 1).asInt())));
            }
            assertTrue(dropped.size() / 2 < 2 * 32, "dropped less than a batch per rank: " + dropped.size() / 2);

            final Set<Long> seen = new HashSet<>();
            final Set<Integer> stepsPerRank = new HashSet<>();
            for (final JsonNode rank : epoch.get("ranks"))
            {
                stepsPerRank.add(rank.get("steps").size());
                for (final JsonNode step : rank.get("steps"))
                {
                    final JsonNode pairs = step.get("samples");
                    assertEquals(64, pairs.size(), "a full batch in " + step);
                    final CRC32C crc = new CRC32C();
                    for (int i = 0; i < pairs.size(); i += 2)
                    {
                        final long sample = pair(pairs.get(i).asInt(), pairs.get(i + 1).asInt());
                        assertTrue(seen.add(sample), "sample " + pairs.get(i) + "/" + pairs.get(i + 1) + " twice in " +
                            "epoch " + epoch.get("epoch"));
                        crc.update(sampleBytes(dataset, manifest, pairs.get(i).asInt(), pairs.get(i + 1).asInt()));
                    }
                    assertEquals(crc.getValue(), step.get("crc32c").asLong(), "CRC32C of " + step);
                    samples += pairs.size() / 2;
                }
            }
            assertEquals(expected, seen, "samples of epoch " + epoch.get("epoch"));
            assertEquals(1, stepsPerRank.size(), "steps per rank: " + stepsPerRank);
        }
        assertEquals(samples, json.at("/totals/samples").asLong());
    }

    private static long pair(final int chunkId, final int record)
    {
        return ((long)chunkId << 32) | record;
    }

    private static byte[] sampleBytes(final Path dataset, final Manifest manifest, final int chunkId, final int record)
        throws IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocate(manifest.chunkLength(chunkId));
        try (FileChannel channel = FileChannel.open(dataset.resolve(manifest.shardPath(manifest.chunkShard(chunkId)))))
        {
            channel.read(chunk, manifest.chunkOffset(chunkId));
        }
        final RecordTable table = new RecordTable();
        new ChunkRecords().fill(ChunkDescriptors.of(manifest), chunkId, chunk, table);
        return Arrays.copyOfRange(chunk.array(), table.offset(record), table.offset(record) + table.length(record));
    }

    @Test
    void truncatedFixedRecordFailsWithOneLineNamingFileAndOffset() throws IOException
    {
        final Path dataset = generate("fixed:4096", "1MiB");
        final Path shard = dataset.resolve("shard-00000.bin");
        try (FileChannel channel = FileChannel.open(shard, StandardOpenOption.WRITE))
        {
            channel.truncate(channel.size() - 100);
        }

        final Result result = run("local", "--dataset", dataset.toString(), "--no-progress");
        assertBadDataset(result, shard, 1024 * 1024 - 4096);
    }

    @Test
    void tfRecordWithABadDataCrcFailsNamingFileAndOffset() throws IOException
    {
        final Path dataset = generate("tfrecord:1000", "256KiB");
        final Path shard = dataset.resolve("shard-00000.tfrecord");
        final byte[] bytes = Files.readAllBytes(shard);
        bytes[20] ^= 0x5A;
        Files.write(shard, bytes);

        assertBadDataset(run("dataset", "index", dataset.toString()), shard, 0);
    }

    @Test
    void corruptNpyHeaderFailsNamingFileAndOffset() throws IOException
    {
        final Path dataset = generate("npy", "256KiB");
        final Path shard = dataset.resolve("shard-00000.npy");
        final byte[] bytes = Files.readAllBytes(shard);
        bytes[1] = 'X';
        Files.write(shard, bytes);

        assertBadDataset(run("dataset", "index", dataset.toString()), shard, 1);
    }

    @Test
    void mixedFormatsFailNamingTheOddFile() throws IOException
    {
        final Path dataset = generate("tfrecord", "128KiB");
        final Path odd = dataset.resolve("shard-00001.npy");
        Files.copy(generate("npy", "64KiB").resolve("shard-00000.npy"), odd);

        final Result result = run("dataset", "index", dataset.toString());
        assertEquals(StokerCli.EXIT_BAD_DATASET, result.status, result.err);
        assertTrue(result.err.contains(odd.toString()), result.err);
    }

    @Test
    void unreadableShardFailsNamingIt() throws IOException
    {
        final Path dataset = generate("fixed:4096", "128KiB");
        final Path notAFile = dataset.resolve("shard-00001.bin");
        Files.createDirectory(notAFile);

        final Result result = run("dataset", "index", dataset.toString());
        assertEquals(StokerCli.EXIT_BAD_DATASET, result.status, result.err);
        assertTrue(result.err.contains(notAFile.toString()), result.err);
        assertEquals(1, result.err.strip().lines().count(), result.err);
    }

    @Test
    void aSizeBeyondTheFreeSpaceIsRefusedInOneLineBeforeAnythingIsWritten() throws IOException
    {
        final long tooMuch = Files.getFileStore(temp).getUsableSpace() + (1L << 30);
        final Path target = temp.resolve("new").resolve("data");

        assertNoRoom(run("dataset", "generate", target.toString(), "--size", "" + tooMuch), target, tooMuch);
        assertNoRoom(run("local", "--generate", "" + tooMuch, "--dataset", target.toString(), "--no-progress"),
            target, tooMuch);
        assertFalse(Files.exists(temp.resolve("new")), "nothing created");

        final Result generate = run("dataset", "generate", target.toString(), "--size", "1MiB");
        assertEquals(0, generate.status, generate.err);
        final Result local = run("local", "--generate", "1MiB", "--dataset", target.toString(), "--no-progress");
        assertEquals(0, local.status, local.err);
    }

    @Test
    void moreWorkersOrBuffersThanMemoryHoldsAreRefusedInOneLineBeforeAnythingStarts() throws IOException
    {
        final Path dataset = generate("fixed:4096", "1MiB");
        final Result beyondWorldSize = run("local", "--dataset", dataset.toString(), "--workers", "1000000",
            "--no-progress");
        assertRefusedUsage(beyondWorldSize, "world size must be 1 to 65536, was 1000000");
        final Result tooManyWorkers = run("local", "--dataset", dataset.toString(), "--workers", "60000",
            "--no-progress");
        assertRefusedUsage(tooManyWorkers, "--workers 60000 x --buffers 8 x 1.00 MiB (the largest chunk) = ");
        assertTrue(tooManyWorkers.err.contains("use fewer --workers or --buffers"), tooManyWorkers.err);

        final Result tooManyBuffers = run("local", "--dataset", dataset.toString(), "--buffers", "4096",
            "--no-progress");
        assertRefusedUsage(tooManyBuffers, "--buffers 4096 x 1.00 MiB (the largest chunk) = 4.00 GiB, more than " +
            "the 2 GiB a worker's buffer pool can hold");

        final Result fits = run("local", "--dataset", dataset.toString(), "--workers", "2", "--buffers", "4",
            "--no-progress");
        assertEquals(0, fits.status, fits.err);
    }

    @Test
    void badOptionValuesAreUsageErrors()
    {
        assertEquals(StokerCli.EXIT_USAGE, run("local", "--generate", "lots").status);
        assertEquals(StokerCli.EXIT_USAGE, run("local", "--generate", "1MiB", "--chunk-size", "1KiB").status);
        assertEquals(StokerCli.EXIT_USAGE, run("local", "--generate", "1MiB", "--format", "parquet").status);
    }

    @Test
    void everySubcommandDocumentsItsOptionsWithDefaults()
    {
        for (final String[] command : new String[][]{
            { "local" }, { "dataset", "generate" }, { "dataset", "index" } })
        {
            final String[] args = new String[command.length + 1];
            System.arraycopy(command, 0, args, 0, command.length);
            args[command.length] = "--help";
            final Result help = run(args);
            assertEquals(0, help.status);
            assertTrue(help.out.contains("Default:"), String.join(" ", command) + " --help: " + help.out);
        }
    }

    private Path generate(final String format, final String size)
    {
        final Path dataset = temp.resolve(format.replace(':', '_') + "-" + size);
        assertEquals(0, run("dataset", "generate", dataset.toString(), "--format", format, "--size", size).status);
        return dataset;
    }

    @Test
    void workerAndLocalRefuseAGpuSinkWithoutADeviceInOneLine()
    {
        Assumptions.assumeFalse(Cuda.cudaAvailable(), "a CUDA device is usable here");
        final String[] worker = { "worker", "--coordinator", "127.0.0.1:7400", "--rank", "0", "--listen",
            "127.0.0.1:7410", "--sink" };
        for (final String sink : new String[]{ "gpu", "shm-gpu" })
        {
            final Result result = run(concat(worker, sink));
            assertOneLine(result, "stoker: no CUDA device: " + Cuda.unavailableReason());
        }
        assertOneLine(run("worker", "--coordinator", "127.0.0.1:7400", "--rank", "0", "--listen", "127.0.0.1:7410",
            "--sink", "gpu", "--device", "1"), "stoker: no CUDA device: ");
        assertOneLine(run("local", "--generate", "1MiB", "--sink", "shm-gpu", "--no-progress"),
            "stoker: no CUDA device: ");
    }

    @Test
    void sinkOptionsThatDoNotFitAreRefusedInOneLine()
    {
        final String[] worker = { "worker", "--coordinator", "127.0.0.1:7400", "--rank", "0", "--listen",
            "127.0.0.1:7410" };
        assertOneLine(run(concat(worker, "--sink", "tpu")), "stoker: --sink must be host, gpu, shm or shm-gpu");
        assertOneLine(run(concat(worker, "--sink", "gpu", "--shm-dir", "/dev/shm/x")),
            "stoker: --shm-dir needs --sink shm or shm-gpu");
        assertOneLine(run(concat(worker, "--sink", "shm", "--device", "0")),
            "stoker: --device and --verify-on-device need --sink gpu or shm-gpu");
        assertOneLine(run("local", "--generate", "1MiB", "--verify-on-device", "--no-progress"),
            "stoker: --device and --verify-on-device need --sink gpu or shm-gpu");
    }

    @Test
    void theSinkOptionsParseAlikeForWorkerAndLocal()
    {
        final WorkerCommand worker = new WorkerCommand();
        new CommandLine(worker).parseArgs("--coordinator", "h:1", "--rank", "2", "--listen", "h:2", "--sink",
            "shm-gpu", "--shm-dir", "/dev/shm/r2", "--device", "1", "--consumer-lease", "500");
        assertTrue(worker.sinkOptions.isGpu() && worker.sinkOptions.isShm());
        assertEquals(Path.of("/dev/shm/r2"), worker.sinkOptions.shmDirectory());
        assertEquals(1, worker.sinkOptions.deviceOf(2));
        assertEquals(500, worker.sinkOptions.consumerLeaseMs);

        final LocalCommand local = new LocalCommand();
        new CommandLine(local).parseArgs("--generate", "1MiB", "--sink", "gpu");
        assertTrue(local.sinkOptions.isGpu());
        assertFalse(local.sinkOptions.isShm());
        assertEquals(10_000, local.sinkOptions.consumerLeaseMs);

        final LocalCommand host = new LocalCommand();
        new CommandLine(host).parseArgs("--generate", "1MiB", "--sink", "shm");
        assertTrue(host.sinkOptions.isShm());
        assertFalse(host.sinkOptions.isGpu());
        assertTrue(host.sinkOptions.shmDirectory().toString().startsWith("/dev/shm/stoker-"));
    }

    private static void assertOneLine(final Result result, final String start)
    {
        assertEquals(StokerCli.EXIT_USAGE, result.status, result.err);
        final String line = result.err.strip();
        assertEquals(1, line.lines().count(), "one line: " + line);
        assertTrue(line.startsWith(start), line);
    }

    private static String[] concat(final String[] first, final String... rest)
    {
        final String[] all = Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }

    private static void assertBadDataset(final Result result, final Path file, final long offset)
    {
        assertEquals(StokerCli.EXIT_BAD_DATASET, result.status, result.err);
        final String line = result.err.strip();
        assertEquals(1, line.lines().count(), "one line: " + line);
        assertTrue(line.contains(file.toString()), line);
        assertTrue(line.contains("offset " + offset), "offset " + offset + " in: " + line);
    }

    private static void assertRefusedUsage(final Result result, final String text)
    {
        assertEquals(StokerCli.EXIT_USAGE, result.status, result.err);
        final String line = result.err.strip();
        assertEquals(1, line.lines().count(), "one line: " + line);
        assertTrue(line.startsWith("stoker: " + text), line);
    }

    private static void assertNoRoom(final Result result, final Path directory, final long asked)
    {
        assertEquals(StokerCli.EXIT_BAD_DATASET, result.status, result.err);
        final String line = result.err.strip();
        assertEquals(1, line.lines().count(), "one line: " + line);
        assertTrue(line.startsWith("stoker: " + directory + ": no room for " + Sizes.format(asked)), line);
        assertTrue(line.contains(" free on the file system of "), line);
    }

    private static Result run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = StokerCli.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        final int status = commandLine.execute(args);
        return new Result(status, out.toString(), err.toString());
    }

    private record Result(int status, String out, String err)
    {
    }
}
