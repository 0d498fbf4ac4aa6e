package io.stoker.dataset;

import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * The chunks a worker was told of: for each, where it is (shard, offset, length), its record count and CRC32C, and
 * for formats whose record boundaries are neither at a fixed stride nor in the data ({@link
 * FormatSpec#storesRecordOffsets()}) where each record starts. Each descriptor is checked against the job's
 * {@link DatasetLayout} before it is kept, and kept while an epoch that uses it is open.
 * <p>
 * Not thread-safe: the worker's duty cycle owns it.
 */
public final class ChunkDescriptors
{
    private final DatasetLayout layout;
    private final Int2ObjectHashMap<Descriptor> descriptors = new Int2ObjectHashMap<>();

    /**
     * @param layout the job's dataset layout.
     */
    public ChunkDescriptors(final DatasetLayout layout)
    {
        this.layout = layout;
    }

    /**
     * Every chunk of a manifest described, for a process that has the whole manifest (an indexer, an audit of what
     * was delivered against the shard files): the manifest's chunk table, not checked again.
     *
     * @return descriptors of every chunk, kept whatever the epoch.
     */
    public static ChunkDescriptors of(final Manifest manifest)
    {
        final ChunkDescriptors all = new ChunkDescriptors(DatasetLayout.of(manifest));
        final RecordTable table = new RecordTable();
        final boolean offsets = manifest.format().storesRecordOffsets();
        for (int chunkId = 0, count = manifest.chunkCount(); chunkId < count; chunkId++)
        {
            int[] starts = null;
            if (offsets)
            {
                manifest.recordsOf(chunkId, table);
                starts = new int[table.count()];
                for (int i = 0; i < starts.length; i++)
                {
                    starts[i] = table.offset(i);
                }
            }
            all.descriptors.put(chunkId, new Descriptor(manifest.chunkShard(chunkId), manifest.chunkOffset(chunkId),
                manifest.chunkLength(chunkId), manifest.chunkCrc(chunkId), starts, Integer.MAX_VALUE));
        }
        return all;
    }

    /**
     * @return the layout descriptors are checked against.
     */
    public DatasetLayout layout()
    {
        return layout;
    }

    /**
     * Keep a chunk's descriptor for an epoch that uses it, unless it does not fit the layout. A chunk described
     * again (for another epoch, or again in the same) must be described the same way.
     *
     * @param epoch         the epoch whose steps use the chunk.
     * @param recordLengths the records' lengths as unsigned LEB128 varints, from {@code lengthsOffset}, for a
     *                      format that stores record offsets; else {@code lengthsLength} is 0.
     * @return null when kept, else why the descriptor was refused, naming the chunk.
     */
    public String put(
        final int epoch,
        final int chunkId,
        final int shard,
        final long offset,
        final int length,
        final int recordCount,
        final int crc,
        final DirectBuffer recordLengths,
        final int lengthsOffset,
        final int lengthsLength)
    {
        if (chunkId < 0 || chunkId >= layout.chunkCount())
        {
            return "descriptor of chunk " + chunkId + ": the dataset has " + layout.chunkCount() + " chunks";
        }
        final String name = "descriptor of chunk " + chunkId;
        if (shard != layout.chunkShard(chunkId))
        {
            return name + ": shard " + shard + ", but the chunk is of shard " + layout.chunkShard(chunkId);
        }
        final long end = offset + length;
        if (offset < 0 || length < 1 || length > layout.maxChunkLength() || end < offset ||
            end > layout.shardLength(shard))
        {
            return name + ": " + length + " bytes at offset " + offset + " do not fit " + layout.shardName(shard) +
                " of " + layout.shardLength(shard) + " bytes in chunks of at most " + layout.maxChunkLength();
        }
        if (recordCount != layout.recordCount(chunkId))
        {
            return name + ": " + recordCount + " records, the layout says " + layout.recordCount(chunkId);
        }
        int[] offsets = null;
        if (layout.format().storesRecordOffsets())
        {
            offsets = new int[recordCount];
            final String refusal = decodeLengths(recordLengths, lengthsOffset, lengthsLength, length, offsets);
            if (null != refusal)
            {
                return name + ": " + refusal;
            }
        }
        else if (0 != lengthsLength)
        {
            return name + ": record lengths for a " + layout.format().kind() + " dataset";
        }
        final Descriptor known = descriptors.get(chunkId);
        if (null != known)
        {
            if (known.offset != offset || known.length != length || known.crc != crc ||
                !Arrays.equals(known.offsets, offsets))
            {
                return name + ": it differs from the one given before";
            }
            known.lastEpoch = Math.max(known.lastEpoch, epoch);
            return null;
        }
        descriptors.put(chunkId, new Descriptor(shard, offset, length, crc, offsets, epoch));
        return null;
    }

    /**
     * Forget the chunks no open epoch uses.
     *
     * @param lowestOpenEpoch the lowest epoch still open: chunks used only by earlier ones are forgotten.
     * @return chunks forgotten.
     */
    public int forgetBefore(final int lowestOpenEpoch)
    {
        final int before = descriptors.size();
        descriptors.values().removeIf(descriptor -> descriptor.lastEpoch < lowestOpenEpoch);
        return before - descriptors.size();
    }

    /**
     * @return true when the chunk's descriptor is kept.
     */
    public boolean isKnown(final int chunkId)
    {
        return descriptors.containsKey(chunkId);
    }

    /**
     * @return descriptors kept.
     */
    public int size()
    {
        return descriptors.size();
    }

    /**
     * @return the shard of a known chunk.
     */
    public int shard(final int chunkId)
    {
        return known(chunkId).shard;
    }

    /**
     * @return the offset in its shard of a known chunk.
     */
    public long offset(final int chunkId)
    {
        return known(chunkId).offset;
    }

    /**
     * @return the length of a known chunk.
     */
    public int length(final int chunkId)
    {
        return known(chunkId).length;
    }

    /**
     * @return the CRC32C of a known chunk's bytes.
     */
    public int crc(final int chunkId)
    {
        return known(chunkId).crc;
    }

    /**
     * Fill a table with where each record of a known chunk starts, for a format whose boundaries are not in the
     * data: {@link ChunkRecords} finds those in the chunk's bytes.
     */
    void recordsOf(final int chunkId, final RecordTable table)
    {
        final FormatSpec format = layout.format();
        final Descriptor descriptor = known(chunkId);
        if (null == descriptor.offsets)
        {
            table.wrapStride(layout.recordCount(chunkId), format.recordStride(), format.recordSize());
        }
        else
        {
            table.wrapOffsets(descriptor.offsets, 0, descriptor.offsets.length, descriptor.length);
        }
    }

    private Descriptor known(final int chunkId)
    {
        final Descriptor descriptor = descriptors.get(chunkId);
        if (null == descriptor)
        {
            throw new IllegalStateException("chunk " + chunkId + " was not described");
        }
        return descriptor;
    }

    private static String decodeLengths(
        final DirectBuffer buffer, final int from, final int length, final int chunkLength, final int[] offsets)
    {
        int at = from;
        final int end = from + length;
        long sum = 0;
        for (int record = 0; record < offsets.length; record++)
        {
            long value = 0;
            int shift = 0;
            while (true)
            {
                if (at == end)
                {
                    return "record lengths end after " + record + " of " + offsets.length + " records";
                }
                final int b = buffer.getByte(at++) & 0xFF;
                value |= (long)(b & 0x7F) << shift;
                if (0 == (b & 0x80))
                {
                    break;
                }
                shift += 7;
                if (shift > 28)
                {
                    return "record " + record + "'s length is not a varint of at most 5 bytes";
                }
            }
            if (value < 1 || sum + value > chunkLength)
            {
                return "record " + record + " of " + value + " bytes at offset " + sum + " does not fit the chunk's " +
                    chunkLength + " bytes";
            }
            offsets[record] = (int)sum;
            sum += value;
        }
        if (at != end || sum != chunkLength)
        {
            return "record lengths sum to " + sum + " bytes, not the chunk's " + chunkLength +
                (at != end ? ", and " + (end - at) + " bytes follow them" : "");
        }
        return null;
    }

    /**
     * Encode a chunk's record lengths as the unsigned LEB128 varints {@link #put} takes, for a format that stores
     * record offsets.
     *
     * @param manifest the dataset's manifest.
     * @param chunkId  the chunk.
     * @param table    scratch.
     * @param into     where to write, with room for 5 bytes a record.
     * @param at       index in {@code into} to start at.
     * @return bytes written.
     */
    public static int encodeLengths(
        final Manifest manifest, final int chunkId, final RecordTable table, final byte[] into, final int at)
    {
        manifest.recordsOf(chunkId, table);
        int position = at;
        for (int i = 0, count = table.count(); i < count; i++)
        {
            int value = table.length(i);
            while ((value & ~0x7F) != 0)
            {
                into[position++] = (byte)((value & 0x7F) | 0x80);
                value >>>= 7;
            }
            into[position++] = (byte)value;
        }
        return position - at;
    }

    private static final class Descriptor
    {
        final int shard;
        final long offset;
        final int length;
        final int crc;
        final int[] offsets;
        int lastEpoch;

        Descriptor(final int shard, final long offset, final int length, final int crc, final int[] offsets,
            final int lastEpoch)
        {
            this.shard = shard;
            this.offset = offset;
            this.length = length;
            this.crc = crc;
            this.offsets = offsets;
            this.lastEpoch = lastEpoch;
        }
    }
}
