package io.stoker.coordinator;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import io.stoker.transport.wire.JobNames;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The journal's compaction: the progress of every job the coordinator runs up to a journal position, each job by its
 * name. What was submitted (its spec,
 * resumes included), per open epoch each stream's released steps, the steps handed to another rank than
 * their stream's and the chunks that could not be read, and the completed epochs' results (a finished job
 * is kept, to answer a client that attaches late); a restarted coordinator reads it and replays the
 * journal's records after its position. The coordinator encodes it, the {@link JournalAgent} writes it:
 * to a temporary file that is fsynced, renamed over the previous checkpoint, and the directory fsynced,
 * so a crash leaves the old or the new one whole. A damaged file is refused, naming it and the offset.
 */
final class CheckpointStore
{
    static final String FILE_NAME = "coordinator.checkpoint";
    private static final int MAGIC = 0x53544b43;
    private static final int VERSION = 7;

    private final Path directory;
    private final Path file;
    private final Set<String> manifestsWritten = new HashSet<>();

    CheckpointStore(final Path directory)
    {
        this.directory = directory;
        this.file = directory.resolve(FILE_NAME);
    }

    Path file()
    {
        return file;
    }

    /**
     * Encode the progress of the coordinator's jobs, on the coordinator's thread (no I/O): the {@link JournalAgent}
     * writes it.
     *
     * @param jobs            the jobs by name, each bound to its manifest.
     * @param journalPosition where the journal continues after what the encoded progress counts.
     * @return the checkpoint's bytes, its CRC32C included.
     */
    static byte[] encode(final SortedMap<String, Job> jobs, final long journalPosition)
    {
        try
        {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(journalPosition);
            out.writeInt(jobs.size());
            for (final Map.Entry<String, Job> named : jobs.entrySet())
            {
                out.writeUTF(named.getKey());
                writeJob(out, named.getValue());
            }
            out.flush();
            final byte[] body = bytes.toByteArray();
            return ByteBuffer.allocate(body.length + Integer.BYTES).put(body).putInt(Crc32c.of(body)).array();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void writeJob(final DataOutputStream out, final Job job) throws IOException
    {
        out.writeLong(job.jobId);
        writeSpec(out, job.spec);
        out.writeInt(job.weight);
        out.writeInt(job.nextEpochToPlan());
        out.writeInt(job.epochsCompleted());
        out.writeInt(job.chunksUnavailable());
        final EpochProgress[] open = job.openEpochsInOrder();
        out.writeInt(open.length);
        for (final EpochProgress progress : open)
        {
            out.writeInt(progress.epoch());
            final BitSet[] released = progress.releasedSets();
            out.writeInt(released.length);
            for (final BitSet steps : released)
            {
                writeBits(out, steps);
            }
            final int[][] moves = progress.moves();
            out.writeInt(moves.length);
            for (final int[] move : moves)
            {
                out.writeInt(move[0]);
                out.writeInt(move[1]);
                out.writeInt(move[2]);
            }
            writeBits(out, bits(progress.missingChunks()));
        }
        out.writeInt(job.results().size());
        for (final Job.EpochResult result : job.results())
        {
            out.writeInt(result.epoch());
            out.writeLong(result.deliveredSamples());
            out.writeLong(result.droppedSamples());
            out.writeInt(result.steps());
            writeInts(out, result.missing());
            out.writeInt(result.moves().length);
            for (final int[] move : result.moves())
            {
                out.writeInt(move[0]);
                out.writeInt(move[1]);
                out.writeInt(move[2]);
            }
        }
    }

    /**
     * Write a checkpoint, from the {@link JournalAgent}'s thread: the jobs' datasets' manifests first when they are
     * not there yet (one file per dataset), then the checkpoint to a temporary file, fsynced, renamed over the
     * previous one, and the directory fsynced so that the rename itself survives a crash.
     *
     * @param bytes     from {@link #encode}.
     * @param manifests the jobs' datasets.
     */
    void write(final byte[] bytes, final List<Manifest> manifests)
    {
        try
        {
            Files.createDirectories(directory);
            for (final Manifest manifest : manifests)
            {
                if (manifestsWritten.add(manifest.datasetId()))
                {
                    manifest.write(manifestFile(manifest.datasetId()));
                }
            }
            final Path temp = directory.resolve(FILE_NAME + ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))
            {
                final ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining())
                {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(directory);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot write the checkpoint: " + ex.getMessage(), ex);
        }
    }

    /**
     * Write where the members listen ({@link MemberRoutes}), from the {@link JournalAgent}'s thread: a temporary
     * file renamed over the previous one. A hint only, so not fsynced: a process killed keeps it.
     */
    void writeMembers(final byte[] bytes)
    {
        final Path members = directory.resolve(MemberRoutes.FILE_NAME);
        try
        {
            Files.createDirectories(directory);
            final Path temp = directory.resolve(MemberRoutes.FILE_NAME + ".tmp");
            Files.write(temp, bytes);
            Files.move(temp, members, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(members + ": cannot write where the members listen: " + ex.getMessage(), ex);
        }
    }

    /**
     * @return what {@link #writeMembers} wrote last, or null when there is nothing.
     */
    byte[] readMembers()
    {
        final Path members = directory.resolve(MemberRoutes.FILE_NAME);
        try
        {
            return Files.exists(members) ? Files.readAllBytes(members) : null;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(members + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * fsync a directory, so that a file renamed into it stays renamed after a crash.
     */
    static void syncDirectory(final Path directory) throws IOException
    {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    /**
     * @param datasetId a checkpointed job's dataset.
     * @return its manifest.
     */
    Manifest manifest(final String datasetId)
    {
        return Manifest.read(manifestFile(datasetId));
    }

    /**
     * @return where a dataset's manifest is kept: {@code dataset-<hex of its id>.manifest}, whatever the id holds.
     */
    private Path manifestFile(final String datasetId)
    {
        return directory.resolve("dataset-" + HexFormat.of().formatHex(datasetId.getBytes(StandardCharsets.UTF_8)) +
            ".manifest");
    }

    /**
     * @return the stored checkpoint, or null when there is none.
     * @throws UncheckedIOException naming the file when it is corrupt or of another version.
     */
    Checkpoint read()
    {
        if (!Files.exists(file))
        {
            return null;
        }
        final byte[] all;
        try
        {
            all = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot read the checkpoint: " + ex.getMessage(), ex);
        }
        final ByteArrayInputStream stream = new ByteArrayInputStream(all, 0, Math.max(0, all.length - Integer.BYTES));
        try
        {
            if (all.length < 8 + Integer.BYTES)
            {
                throw new IOException("truncated: " + all.length + " bytes");
            }
            final byte[] body = Arrays.copyOf(all, all.length - Integer.BYTES);
            final int storedCrc = ByteBuffer.wrap(all, body.length, Integer.BYTES).getInt();
            if (storedCrc != Crc32c.of(body))
            {
                throw new IOException("the CRC32C stored at offset " + body.length + " does not match the " +
                    body.length + " bytes before it");
            }
            final DataInputStream in = new DataInputStream(stream);
            final int magic = in.readInt();
            final int version = in.readInt();
            if (magic != MAGIC || version != VERSION)
            {
                throw new IOException("not a Stoker coordinator checkpoint of version " + VERSION +
                    " (written by another version: remove it to start afresh)");
            }
            final Checkpoint checkpoint = new Checkpoint(in.readLong(), new ArrayList<>());
            for (int i = 0, jobs = count(in, body.length); i < jobs; i++)
            {
                checkpoint.jobs().add(readJob(in, body.length));
            }
            return checkpoint;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            final int offset = Math.max(0, all.length - Integer.BYTES) - stream.available();
            throw new UncheckedIOException(file + ": cannot read the checkpoint at offset " + offset + ": " +
                ex.getMessage(), ex instanceof IOException io ? io : new IOException(ex));
        }
    }

    private static int readWeight(final DataInputStream in) throws IOException
    {
        final int weight = in.readInt();
        if (!ServingWeights.isValid(weight))
        {
            throw new IOException("a job's weight of " + weight);
        }
        return weight;
    }

    private static JobCheckpoint readJob(final DataInputStream in, final int bound) throws IOException
    {
        final String name = JobNames.check(in.readUTF());
        final JobCheckpoint checkpoint = new JobCheckpoint(name, in.readLong(), readSpec(in), readWeight(in),
            in.readInt(), in.readInt(), in.readInt(), new TreeMap<>(), new ArrayList<>());
        final int open = in.readInt();
        for (int i = 0; i < open; i++)
        {
            final int epoch = in.readInt();
            final BitSet[] released = new BitSet[count(in, bound)];
            for (int s = 0; s < released.length; s++)
            {
                released[s] = readBits(in, bound);
            }
            final int[][] moves = new int[count(in, bound)][];
            for (int m = 0; m < moves.length; m++)
            {
                moves[m] = new int[]{ in.readInt(), in.readInt(), in.readInt() };
            }
            checkpoint.openEpochs().put(epoch, new OpenEpoch(released, moves, readBits(in, bound)));
        }
        final int results = count(in, bound);
        for (int i = 0; i < results; i++)
        {
            final int epoch = in.readInt();
            final long deliveredSamples = in.readLong();
            final long droppedSamples = in.readLong();
            final int steps = in.readInt();
            final int[] missing = readInts(in, bound);
            final int[][] moves = new int[count(in, bound)][];
            for (int m = 0; m < moves.length; m++)
            {
                moves[m] = new int[]{ in.readInt(), in.readInt(), in.readInt() };
            }
            checkpoint.results().add(
                new Job.EpochResult(epoch, deliveredSamples, droppedSamples, steps, missing, moves));
        }
        return checkpoint;
    }

    private static void writeSpec(final DataOutputStream out, final JobSpec spec) throws IOException
    {
        out.writeUTF(spec.datasetId());
        out.writeInt(spec.worldSize());
        out.writeInt(spec.epochs());
        out.writeLong(spec.seed());
        out.writeInt(spec.batchSpec().batchSize());
        out.writeInt(spec.batchSpec().shuffleWindow());
        out.writeUTF(spec.batchSpec().dropPolicy().label());
        out.writeInt(spec.firstEpoch());
        out.writeInt(spec.histories().size());
        for (final Map.Entry<Integer, EpochHistory> history : spec.histories().entrySet())
        {
            out.writeInt(history.getKey());
            final int[] worldSizes = history.getValue().worldSizes();
            writeInts(out, worldSizes);
            final int[][] consumed = history.getValue().consumed();
            out.writeInt(consumed.length);
            for (final int[] steps : consumed)
            {
                writeInts(out, steps);
            }
        }
    }

    private static JobSpec readSpec(final DataInputStream in) throws IOException
    {
        final String datasetId = in.readUTF();
        final int worldSize = in.readInt();
        final int epochs = in.readInt();
        final long seed = in.readLong();
        final BatchSpec batchSpec = new BatchSpec(in.readInt(), in.readInt(), DropPolicy.fromLabel(in.readUTF()));
        final int firstEpoch = in.readInt();
        final Map<Integer, EpochHistory> histories = new TreeMap<>();
        final int count = in.readInt();
        for (int i = 0; i < count; i++)
        {
            final int epoch = in.readInt();
            final int[] worldSizes = readInts(in);
            final int[][] consumed = new int[in.readInt()][];
            for (int k = 0; k < consumed.length; k++)
            {
                consumed[k] = readInts(in);
            }
            histories.put(epoch, new EpochHistory(worldSizes, consumed));
        }
        return new JobSpec(datasetId, worldSize, epochs, seed, batchSpec, firstEpoch, histories);
    }

    private static void writeInts(final DataOutputStream out, final int[] values) throws IOException
    {
        out.writeInt(values.length);
        for (final int value : values)
        {
            out.writeInt(value);
        }
    }

    private static int[] readInts(final DataInputStream in) throws IOException
    {
        return readInts(in, JobSpec.MAX_WORLD_SIZE);
    }

    private static int[] readInts(final DataInputStream in, final int bound) throws IOException
    {
        final int length = in.readInt();
        if (length < 0 || length > bound)
        {
            throw new IOException("a list of " + length + " numbers");
        }
        final int[] values = new int[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = in.readInt();
        }
        return values;
    }

    private static int count(final DataInputStream in, final int bound) throws IOException
    {
        final int count = in.readInt();
        if (count < 0 || count > bound)
        {
            throw new IOException("a count of " + count + " in a checkpoint of " + bound + " bytes");
        }
        return count;
    }

    private static BitSet bits(final int[] indices)
    {
        final BitSet bits = new BitSet();
        for (final int index : indices)
        {
            bits.set(index);
        }
        return bits;
    }

    private static void writeBits(final DataOutputStream out, final BitSet bits) throws IOException
    {
        final long[] words = bits.toLongArray();
        out.writeInt(words.length);
        for (final long word : words)
        {
            out.writeLong(word);
        }
    }

    private static BitSet readBits(final DataInputStream in, final int bound) throws IOException
    {
        final long[] words = new long[count(in, bound)];
        for (int i = 0; i < words.length; i++)
        {
            words[i] = in.readLong();
        }
        return BitSet.valueOf(words);
    }

    /**
     * One open epoch's persisted progress.
     *
     * @param released each stream's released steps.
     * @param moves    {stream, step, holder} of every step handed to another rank.
     * @param missing  chunks whose samples could not be read.
     */
    record OpenEpoch(BitSet[] released, int[][] moves, BitSet missing)
    {
    }

    /**
     * The persisted progress of the coordinator's jobs.
     *
     * @param journalPosition where the journal's records after this checkpoint start.
     * @param jobs            each job's, by name.
     */
    record Checkpoint(long journalPosition, List<JobCheckpoint> jobs)
    {
    }

    /**
     * A job's persisted progress.
     *
     * @param jobName         the job's name, "" for the default job.
     * @param weight          its share of the data servers' bandwidth, as submitted.
     * @param openEpochs      the open epochs by number.
     * @param results         the completed epochs, for a client that attaches late.
     */
    record JobCheckpoint(
        String jobName,
        long jobId,
        JobSpec spec,
        int weight,
        int nextEpochToPlan,
        int epochsCompleted,
        int chunksUnavailable,
        Map<Integer, OpenEpoch> openEpochs,
        List<Job.EpochResult> results)
    {
    }
}
