package io.stoker.coordinator;

import io.stoker.dataset.Crc32c;
import io.stoker.dataset.Manifest;

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
 * Persists a job's progress, {@code (job, open epochs: acknowledged and unavailable sets, chunks handed
 * to other ranks than the plan's)}, so that a restarted coordinator resumes mid-epoch without
 * repeating or skipping a chunk, and knows which rank may acknowledge each. Each write goes to a temporary file that is
 * fsynced and then renamed over the previous checkpoint: a crash leaves the old or the new one whole.
 */
final class CheckpointStore
{
    static final String FILE_NAME = "coordinator.checkpoint";
    static final String MANIFEST_FILE_NAME = "dataset.manifest";
    private static final int MAGIC = 0x53544b43;
    private static final int VERSION = 2;
    private static final int VERSION_WITHOUT_HOLDERS = 1;

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
            if (!job.datasetId.equals(manifestWritten))
            {
                Files.createDirectories(directory);
                job.manifest.write(directory.resolve(MANIFEST_FILE_NAME));
                manifestWritten = job.datasetId;
            }
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(job.jobId);
            out.writeInt(job.worldSize);
            out.writeInt(job.epochs);
            out.writeLong(job.seed);
            out.writeUTF(job.datasetId);
            out.writeInt(job.nextEpochToPlan);
            out.writeInt(job.epochsCompleted);
            out.writeInt(job.chunksUnavailable);
            final Map<Integer, EpochProgress> open = new TreeMap<>(job.openEpochs);
            out.writeInt(open.size());
            for (final EpochProgress progress : open.values())
            {
                out.writeInt(progress.epoch());
                writeBits(out, progress.acknowledgedSet());
                writeBits(out, progress.unavailableSet());
                final int[] moved = progress.movedChunks();
                out.writeInt(moved.length);
                for (final int chunkId : moved)
                {
                    out.writeInt(chunkId);
                    out.writeInt(progress.holder(chunkId));
                }
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
     * @throws UncheckedIOException naming the file when it is corrupt.
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
            if (magic != MAGIC || (version != VERSION && version != VERSION_WITHOUT_HOLDERS))
            {
                throw new IOException("not a Stoker coordinator checkpoint of version " + VERSION);
            }
            final Checkpoint checkpoint = new Checkpoint(in.readLong(), in.readInt(), in.readInt(), in.readLong(),
                in.readUTF(), in.readInt(), in.readInt(), in.readInt(), new TreeMap<>());
            final int open = in.readInt();
            for (int i = 0; i < open; i++)
            {
                final int epoch = in.readInt();
                final BitSet acknowledged = readBits(in);
                final BitSet unavailable = readBits(in);
                final int moves = VERSION == version ? in.readInt() : 0;
                if (moves < 0 || moves > body.length / (2 * Integer.BYTES))
                {
                    throw new IOException("epoch " + epoch + " claims " + moves + " moved chunks");
                }
                final int[] movedChunks = new int[moves];
                final int[] holders = new int[moves];
                for (int m = 0; m < moves; m++)
                {
                    movedChunks[m] = in.readInt();
                    holders[m] = in.readInt();
                }
                checkpoint.openEpochs().put(epoch, new OpenEpoch(acknowledged, unavailable, movedChunks, holders));
            }
            return checkpoint;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot read the checkpoint: " + ex.getMessage(), ex);
        }
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

    private static BitSet readBits(final DataInputStream in) throws IOException
    {
        final long[] words = new long[in.readInt()];
        for (int i = 0; i < words.length; i++)
        {
            words[i] = in.readLong();
        }
        return BitSet.valueOf(words);
    }

    /**
     * One open epoch's persisted progress.
     *
     * @param movedChunks chunks handed to other ranks than the plan's, with their {@code holders}.
     */
    record OpenEpoch(BitSet acknowledged, BitSet unavailable, int[] movedChunks, int[] holders)
    {
    }

    /**
     * A job's persisted progress.
     *
     * @param openEpochs the open epochs by number.
     */
    record Checkpoint(
        long jobId,
        int worldSize,
        int epochs,
        long seed,
        String datasetId,
        int nextEpochToPlan,
        int epochsCompleted,
        int chunksUnavailable,
        Map<Integer, OpenEpoch> openEpochs)
    {
    }
}
