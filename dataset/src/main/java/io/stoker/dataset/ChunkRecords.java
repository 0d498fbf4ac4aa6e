package io.stoker.dataset;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

import io.stoker.dataset.format.RecordFormat;
import io.stoker.dataset.format.RecordSink;
import io.stoker.dataset.format.ShardInput;

/**
 * Where the records of a chunk start: computed from the stride for fixed-size formats, taken from the chunk's
 * descriptor for formats whose boundaries are only in an index beside the data ({@code megatron} documents,
 * {@code mds}), and found in the chunk's bytes for formats whose framing holds them ({@code tfrecord}'s length
 * framing, {@code webdataset}'s tar headers) — neither the manifest nor the descriptor holds those.
 * <p>
 * The bytes are hostile even when their CRC32C matches the descriptor's: the records found must start at the
 * chunk's first byte, follow each other back to back, end at its last byte and be as many as the layout says, or the
 * chunk is refused with an error naming the shard file and the offset in it.
 * <p>
 * Holds scratch state: use one instance per thread.
 */
public final class ChunkRecords implements RecordSink
{
    private FormatSpec formatSpec;
    private RecordFormat format;
    private Path file;
    private long chunkOffset;
    private int chunkId;
    private int expected;
    private int[] offsets = new int[64];
    private int found;
    private long end;

    /**
     * Fill a table with where each record of a chunk starts.
     *
     * @param descriptors the chunks the worker was told of, this one among them.
     * @param chunkId     the chunk.
     * @param bytes       the chunk's bytes, from index 0, checked against its descriptor's CRC32C; read only where
     *                    the format's boundaries are in the data.
     * @param table       to fill.
     * @throws DatasetException naming the shard file and the offset in it when the bytes' framing is bad or does
     *                          not give the layout's records.
     */
    public void fill(final ChunkDescriptors descriptors, final int chunkId, final ByteBuffer bytes,
        final RecordTable table)
    {
        final DatasetLayout layout = descriptors.layout();
        final FormatSpec spec = layout.format();
        if (!spec.boundariesInData())
        {
            descriptors.recordsOf(chunkId, table);
            return;
        }
        if (!spec.equals(formatSpec))
        {
            formatSpec = spec;
            format = RecordFormat.of(spec);
        }
        final int length = descriptors.length(chunkId);
        if (bytes.capacity() < length)
        {
            throw new IllegalArgumentException("a buffer of " + bytes.capacity() + " bytes for chunk " + chunkId +
                " of " + length);
        }
        this.chunkId = chunkId;
        file = Path.of(layout.shardName(descriptors.shard(chunkId)));
        chunkOffset = descriptors.offset(chunkId);
        expected = layout.recordCount(chunkId);
        found = 0;
        end = 0;
        try
        {
            format.boundaries(new ShardInput(file, bytes, length), this);
        }
        catch (final DatasetException ex)
        {
            throw new DatasetException(file, chunkOffset + Math.max(0, ex.offset()),
                "chunk " + chunkId + ": " + ex.reason());
        }
        if (found != expected || end != length)
        {
            throw new DatasetException(file, chunkOffset + end, "chunk " + chunkId + " of " + length + " bytes: " +
                "its framing gives " + found + " records over " + end + " bytes, the layout says " + expected +
                " records");
        }
        System.arraycopy(offsets, 0, table.foundOffsets(found), 0, found);
        table.wrapFound(found, length);
    }

    /**
     * {@inheritDoc} Offsets here are in the chunk; {@link #fill} adds the chunk's offset in its shard to what it
     * throws.
     */
    @Override
    public void onRecords(final long offset, final int length, final long count)
    {
        for (long i = 0; i < count; i++)
        {
            final long start = offset + i * length;
            if (start != end)
            {
                throw new DatasetException(file, start, "a record starts here, but the one before it ended at " +
                    "offset " + (chunkOffset + end));
            }
            if (found == expected)
            {
                throw new DatasetException(file, start, "more records than the layout's " + expected);
            }
            if (found == offsets.length)
            {
                offsets = Arrays.copyOf(offsets, 2 * found);
            }
            offsets[found++] = (int)start;
            end = start + length;
        }
    }
}
