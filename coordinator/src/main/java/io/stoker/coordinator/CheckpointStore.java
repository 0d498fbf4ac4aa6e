package io.stoker.coordinator;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * Persists a job's progress: what was submitted (its spec, resumes included), and per open epoch each
 * stream's released steps, the steps handed to another rank than their stream's, and the chunks that could
 * not be read; so that a restarted coordinator resumes mid-epoch without repeating or skipping a sample and
 * knows which rank may acknowledge each step. Each write goes to a temporary file that is fsynced and then
 * renamed over the previous checkpoint: a crash leaves the old or the new one whole.
 */
final class CheckpointStore
{
    static final String FILE_NAME = "coordinator.checkpoint";
    static final String MANIFEST_FILE_NAME = "dataset.manifest";
    private static final int MAGIC = 0x53544b43;
    private static final int VERSION = 3;

    private final Path directory;
    private final Path file;
    private String manifestWritten;

    CheckpointStore(final Path directory)
    {
        this.directory = directory;
        this.file = directory.resolve(FILE_NAME);
    }

    Path file()
    {
        return file;
    }

    void write(final Job job)
    {
        try
        {
            if (!job.datasetId().equals(manifestWritten))
            {
                Files.createDirectories(directory);
                job.manifest.write(directory.resolve(MANIFEST_FILE_NAME));
                manifestWritten = job.datasetId();
            }
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(job.jobId);
            writeSpec(out, job.spec);
            out.writeInt(job.nextEpochToPlan);
            out.writeInt(job.epochsCompleted);
            out.writeInt(job.chunksUnavailable);
            final Map<Integer, EpochProgress> open = new TreeMap<>(job.openEpochs);
            out.writeInt(open.size());
            for (final EpochProgress progress : open.values())
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
            out.flush();
            final byte[] body = bytes.toByteArray();

            Files.createDirectories(directory);
            final Path temp = directory.resolve(FILE_NAME + ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))
            {
                final ByteBuffer buffer = ByteBuffer.allocate(body.length + Integer.BYTES);
                buffer.put(body).putInt(Crc32c.of(body)).flip();
                while (buffer.hasRemaining())
                {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot write the checkpoint: " + ex.getMessage(), ex);
        }
    }

    /**
     * @return the manifest of the checkpointed job's dataset.
     */
    Manifest manifest()
    {
        return Manifest.read(directory.resolve(MANIFEST_FILE_NAME));
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
        try
        {
            final byte[] all = Files.readAllBytes(file);
            if (all.length < 8 + Integer.BYTES)
            {
                throw new IOException("truncated at " + all.length + " bytes");
            }
            final byte[] body = Arrays.copyOf(all, all.length - Integer.BYTES);
            final int storedCrc = ByteBuffer.wrap(all, body.length, Integer.BYTES).getInt();
            if (storedCrc != Crc32c.of(body))
            {
                throw new IOException("CRC32C mismatch");
            }
            final DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
            final int magic = in.readInt();
            final int version = in.readInt();
            if (magic != MAGIC || version != VERSION)
            {
                throw new IOException("not a Stoker coordinator checkpoint of version " + VERSION +
                    " (written by another version: remove it to start afresh)");
            }
            final Checkpoint checkpoint = new Checkpoint(in.readLong(), readSpec(in), in.readInt(), in.readInt(),
                in.readInt(), new TreeMap<>());
            final int open = in.readInt();
            for (int i = 0; i < open; i++)
            {
                final int epoch = in.readInt();
                final BitSet[] released = new BitSet[count(in, body.length)];
                for (int stream = 0; stream < released.length; stream++)
                {
                    released[stream] = readBits(in, body.length);
                }
                final int[][] moves = new int[count(in, body.length)][];
                for (int m = 0; m < moves.length; m++)
                {
                    moves[m] = new int[]{ in.readInt(), in.readInt(), in.readInt() };
                }
                checkpoint.openEpochs().put(epoch, new OpenEpoch(released, moves, readBits(in, body.length)));
            }
            return checkpoint;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new UncheckedIOException(file + ": cannot read the checkpoint: " + ex.getMessage(),
                ex instanceof IOException io ? io : new IOException(ex));
        }
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
        final int length = in.readInt();
        if (length < 0 || length > JobSpec.MAX_WORLD_SIZE)
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
     * A job's persisted progress.
     *
     * @param openEpochs the open epochs by number.
     */
    record Checkpoint(
        long jobId,
        JobSpec spec,
        int nextEpochToPlan,
        int epochsCompleted,
        int chunksUnavailable,
        Map<Integer, OpenEpoch> openEpochs)
    {
    }
}
