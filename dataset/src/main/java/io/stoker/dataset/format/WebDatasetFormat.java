package io.stoker.dataset.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.LongToIntFunction;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.SplitMix64;

import static io.stoker.dataset.format.TarHeader.BLOCK;
import static io.stoker.dataset.format.TarHeader.paddedSize;

/**
 * WebDataset shards: tar files (ustar, with GNU long names and links and pax extended headers) whose samples are
 * runs of consecutive regular files sharing a key, the member path up to the first '.' of its last component:
 * {@code shard/000123.jpg} and {@code shard/000123.cls} form sample {@code shard/000123}.
 * <p>
 * A sample's record runs from the first header of its first member, including the 'L', 'K' or 'x' headers that
 * belong to it, to the end of its last member's data padded to 512 bytes. Other entries (directories, links, pax
 * global headers) end the sample before them and belong to no record. Scanning stops at the first zero block.
 */
public final class WebDatasetFormat implements RecordFormat
{
    /**
     * Approximate bytes a generated sample adds to its {@code .input} member's data: headers, padding, the
     * {@code .cls} member and, every seventh sample, the long-named member. Subtracted from the mean sample size so
     * generated samples average about the requested size.
     */
    static final int SAMPLE_OVERHEAD = 2048;

    private static final int KEY_DIGITS = 9;
    private static final int LONG_NAME_EVERY = 7;
    private static final int CLS_BYTES = 4;
    private static final int LONG_MEMBER_BYTES = 64;
    private static final int MAX_EXTENSION_BYTES = 1 << 20;
    private static final int MODE = 0644;
    private static final byte[] INPUT_SUFFIX = ascii(".input");
    private static final byte[] CLS_SUFFIX = ascii(".cls");
    private static final byte[] LONG_SUFFIX = ascii(".long-member-name-" + "0123456789".repeat(10) + ".txt");
    private static final byte[] PAX_PATH = ascii("path");
    private static final byte[] PAX_SIZE = ascii("size");

    private final FormatSpec spec;
    private byte[] name = new byte[256];
    private int nameLength;
    private boolean extendedName;
    private long extendedSize;
    private byte[] key = new byte[256];
    private int keyLength;
    private long sampleStart;
    private long sampleEnd;

    private final ByteBuffer header = ByteBuffer.allocate(BLOCK);
    private final byte[] memberName = new byte[20 + LONG_SUFFIX.length];

    /**
     * The format for a spec.
     *
     * @param spec a {@code webdataset} spec; its mean is used when writing.
     */
    public WebDatasetFormat(final FormatSpec spec)
    {
        this.spec = spec;
    }

    @Override
    public FormatSpec scan(final ShardInput shard, final RecordSink sink)
    {
        final long fileLength = shard.length();
        long position = 0;
        long extensionStart = -1;
        sampleStart = -1;
        resetExtensions();

        while (position < fileLength)
        {
            shard.require(position, BLOCK, "tar header");
            final int index = shard.map(position, BLOCK);
            final ByteBuffer buffer = shard.buffer();
            if (TarHeader.isZeroBlock(buffer, index))
            {
                break;
            }

            verifyChecksum(shard, position, index);
            final byte type = buffer.get(index + TarHeader.TYPE_OFFSET);
            long size = TarHeader.parseNumber(buffer, index + TarHeader.SIZE_OFFSET, TarHeader.SIZE_LENGTH);
            if (size < 0)
            {
                throw new DatasetException(shard.file(), position + TarHeader.SIZE_OFFSET, "bad tar size field");
            }

            final boolean isExtension = type == TarHeader.TYPE_GNU_LONG_NAME || type == TarHeader.TYPE_GNU_LONG_LINK ||
                type == TarHeader.TYPE_PAX;
            if (!isExtension && extendedSize >= 0)
            {
                size = extendedSize;
            }

            final long dataStart = position + BLOCK;
            if (size > fileLength || paddedSize(size) > fileLength - dataStart)
            {
                throw new DatasetException(shard.file(), position, "truncated tar member: " + size +
                    " bytes of data (padded to 512) but the file ends " + (fileLength - dataStart) +
                    " bytes after its header");
            }

            if (isExtension)
            {
                extensionStart = extensionStart < 0 ? position : extensionStart;
                if (type == TarHeader.TYPE_GNU_LONG_NAME)
                {
                    readLongName(shard, dataStart, size);
                }
                else if (type == TarHeader.TYPE_PAX)
                {
                    readPax(shard, dataStart, size);
                }
            }
            else
            {
                if (type == TarHeader.TYPE_REGULAR || type == TarHeader.TYPE_REGULAR_OLD ||
                    type == TarHeader.TYPE_CONTIGUOUS)
                {
                    if (!extendedName)
                    {
                        readHeaderName(buffer, index);
                    }

                    final long memberStart = extensionStart < 0 ? position : extensionStart;
                    addMember(shard, sink, memberStart, dataStart + paddedSize(size));
                }
                else
                {
                    endSample(shard, sink);
                }

                extensionStart = -1;
                resetExtensions();
            }

            position = dataStart + paddedSize(size);
        }

        endSample(shard, sink);
        return spec;
    }

    /**
     * Sizes of the {@code .input} member are uniform in {@code [m/2, 3*m/2]}, m the mean sample size less the
     * overhead of the rest of the sample.
     */
    @Override
    public int drawPayloadLength(final SplitMix64 sizes)
    {
        final int mean = Math.max(2, spec.meanRecordSize() - SAMPLE_OVERHEAD);
        return sizes.nextInt(mean / 2, mean / 2 + mean);
    }

    @Override
    public long recordLength(final long index, final int payloadLength)
    {
        long length = BLOCK + paddedSize(payloadLength) + BLOCK + paddedSize(CLS_BYTES);
        if (index % LONG_NAME_EVERY == 0)
        {
            final int longNameLength = keyLength(index) + LONG_SUFFIX.length;
            length += BLOCK + paddedSize(longNameLength + 1) + BLOCK + paddedSize(LONG_MEMBER_BYTES);
        }

        return length;
    }

    @Override
    public void beginShard(final ShardOutput out, final long recordCount, final LongToIntFunction payloadLengths)
    {
    }

    /**
     * Writes sample {@code %09d}: {@code .input} of random bytes, {@code .cls} holding a class number and, every
     * seventh sample, a member whose name is longer than 100 bytes and so needs a GNU 'L' entry.
     */
    @Override
    public void writeRecord(final ShardOutput out, final long index, final int payloadLength, final SplitMix64 content)
    {
        final int keyEnd = putKey(index);

        writeMemberHeader(out, keyEnd, INPUT_SUFFIX, payloadLength);
        out.putRandom(payloadLength, content, null);
        out.putZeros(paddedSize(payloadLength) - payloadLength);

        writeMemberHeader(out, keyEnd, CLS_SUFFIX, CLS_BYTES);
        final long label = Long.remainderUnsigned(content.nextLong(), 1000);
        out.putByte((byte)('0' + label / 100));
        out.putByte((byte)('0' + label / 10 % 10));
        out.putByte((byte)('0' + label % 10));
        out.putByte((byte)'\n');
        out.putZeros(paddedSize(CLS_BYTES) - CLS_BYTES);

        if (index % LONG_NAME_EVERY == 0)
        {
            writeMemberHeader(out, keyEnd, LONG_SUFFIX, LONG_MEMBER_BYTES);
            out.putRandom(LONG_MEMBER_BYTES, content, null);
            out.putZeros(paddedSize(LONG_MEMBER_BYTES) - LONG_MEMBER_BYTES);
        }
    }

    /**
     * Ends the archive with two zero blocks.
     */
    @Override
    public void endShard(final ShardOutput out)
    {
        out.putZeros(2 * BLOCK);
    }

    private void addMember(final ShardInput shard, final RecordSink sink, final long memberStart, final long memberEnd)
    {
        int lastSlash = nameLength - 1;
        while (lastSlash >= 0 && name[lastSlash] != '/')
        {
            lastSlash--;
        }

        int keyEnd = lastSlash + 1;
        while (keyEnd < nameLength && name[keyEnd] != '.')
        {
            keyEnd++;
        }

        if (sampleStart >= 0 && Arrays.equals(name, 0, keyEnd, key, 0, keyLength))
        {
            sampleEnd = memberEnd;
            return;
        }

        endSample(shard, sink);
        if (key.length < keyEnd)
        {
            key = new byte[name.length];
        }
        System.arraycopy(name, 0, key, 0, keyEnd);
        keyLength = keyEnd;
        sampleStart = memberStart;
        sampleEnd = memberEnd;
    }

    private void endSample(final ShardInput shard, final RecordSink sink)
    {
        if (sampleStart >= 0)
        {
            final long length = sampleEnd - sampleStart;
            if (length > Integer.MAX_VALUE)
            {
                throw new DatasetException(shard.file(), sampleStart,
                    "sample of " + length + " bytes: records must be below 2 GiB");
            }

            sink.onRecords(sampleStart, (int)length, 1);
            sampleStart = -1;
        }
    }

    private void resetExtensions()
    {
        extendedName = false;
        extendedSize = -1;
    }

    private void verifyChecksum(final ShardInput shard, final long position, final int index)
    {
        final ByteBuffer buffer = shard.buffer();
        final long stored = TarHeader.parseNumber(buffer, index + TarHeader.CHECKSUM_OFFSET, TarHeader.CHECKSUM_LENGTH);
        final int computed = TarHeader.checksum(buffer, index);
        if (stored != computed && stored != TarHeader.signedChecksum(buffer, index))
        {
            throw new DatasetException(shard.file(), position, "bad tar header checksum: stored " +
                (stored < 0 ? "(not a number)" : Long.toString(stored)) + ", computed " + computed);
        }
    }

    private void readHeaderName(final ByteBuffer buffer, final int index)
    {
        final int length = TarHeader.fieldLength(buffer, index + TarHeader.NAME_OFFSET, TarHeader.NAME_LENGTH);
        nameLength = 0;
        if (TarHeader.isPosixUstar(buffer, index))
        {
            final int prefixLength =
                TarHeader.fieldLength(buffer, index + TarHeader.PREFIX_OFFSET, TarHeader.PREFIX_LENGTH);
            if (prefixLength > 0)
            {
                buffer.get(index + TarHeader.PREFIX_OFFSET, name, 0, prefixLength);
                name[prefixLength] = '/';
                nameLength = prefixLength + 1;
            }
        }

        buffer.get(index + TarHeader.NAME_OFFSET, name, nameLength, length);
        nameLength += length;
    }

    private void readLongName(final ShardInput shard, final long dataStart, final long size)
    {
        final int index = mapExtension(shard, dataStart, size, "GNU long name");
        final ByteBuffer buffer = shard.buffer();
        int length = 0;
        while (length < size && buffer.get(index + length) != 0)
        {
            length++;
        }

        setName(buffer, index, length);
    }

    /**
     * Reads the records of a pax extended header, each {@code "<length> <keyword>=<value>\n"}, keeping
     * {@code path} and {@code size}.
     */
    private void readPax(final ShardInput shard, final long dataStart, final long size)
    {
        final int index = mapExtension(shard, dataStart, size, "pax header");
        final ByteBuffer buffer = shard.buffer();
        int record = 0;
        while (record < size)
        {
            int cursor = record;
            long recordLength = 0;
            while (cursor < size && buffer.get(index + cursor) >= '0' && buffer.get(index + cursor) <= '9' &&
                recordLength < size)
            {
                recordLength = recordLength * 10 + (buffer.get(index + cursor++) - '0');
            }

            final int keywordStart = cursor + 1;
            int equals = keywordStart;
            final long recordEnd = record + recordLength;
            while (equals < recordEnd && equals < size && buffer.get(index + equals) != '=')
            {
                equals++;
            }

            if (cursor == record || recordEnd > size || equals >= recordEnd || buffer.get(index + cursor) != ' ' ||
                buffer.get(index + (int)recordEnd - 1) != '\n')
            {
                throw new DatasetException(shard.file(), dataStart + record, "bad pax extended header record");
            }

            final int valueStart = equals + 1;
            final int valueLength = (int)recordEnd - 1 - valueStart;
            if (matches(buffer, index + keywordStart, equals - keywordStart, PAX_PATH))
            {
                setName(buffer, index + valueStart, valueLength);
            }
            else if (matches(buffer, index + keywordStart, equals - keywordStart, PAX_SIZE))
            {
                extendedSize = parseDecimal(buffer, index + valueStart, valueLength);
                if (extendedSize < 0)
                {
                    throw new DatasetException(shard.file(), dataStart + record, "bad size in pax extended header");
                }
            }

            record = (int)recordEnd;
        }
    }

    private static int mapExtension(final ShardInput shard, final long dataStart, final long size, final String what)
    {
        if (size > MAX_EXTENSION_BYTES)
        {
            throw new DatasetException(shard.file(), dataStart - BLOCK,
                what + " of " + size + " bytes is larger than " + MAX_EXTENSION_BYTES);
        }

        return shard.map(dataStart, (int)size);
    }

    private void setName(final ByteBuffer buffer, final int index, final int length)
    {
        if (name.length < length)
        {
            name = new byte[Math.max(length, name.length * 2)];
        }

        buffer.get(index, name, 0, length);
        nameLength = length;
        extendedName = true;
    }

    private static boolean matches(final ByteBuffer buffer, final int index, final int length, final byte[] expected)
    {
        if (length != expected.length)
        {
            return false;
        }

        for (int i = 0; i < length; i++)
        {
            if (buffer.get(index + i) != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    private static long parseDecimal(final ByteBuffer buffer, final int index, final int length)
    {
        long value = 0;
        for (int i = 0; i < length; i++)
        {
            final byte b = buffer.get(index + i);
            if (b < '0' || b > '9' || value > (Long.MAX_VALUE - 9) / 10)
            {
                return -1;
            }

            value = value * 10 + (b - '0');
        }

        return length > 0 ? value : -1;
    }

    /**
     * Writes a member's header, preceded by a GNU 'L' entry when its name is longer than a header holds.
     */
    private void writeMemberHeader(final ShardOutput out, final int keyEnd, final byte[] suffix, final long size)
    {
        System.arraycopy(suffix, 0, memberName, keyEnd, suffix.length);
        final int length = keyEnd + suffix.length;
        if (length > TarHeader.NAME_LENGTH)
        {
            writeHeader(out, TarHeader.GNU_LONG_LINK_NAME, TarHeader.GNU_LONG_LINK_NAME.length, length + 1,
                TarHeader.TYPE_GNU_LONG_NAME);
            out.putBytes(memberName, 0, length);
            out.putZeros(paddedSize(length + 1) - length);
        }

        writeHeader(out, memberName, Math.min(length, TarHeader.NAME_LENGTH), size, TarHeader.TYPE_REGULAR);
    }

    private void writeHeader(
        final ShardOutput out, final byte[] headerName, final int nameLength, final long size, final byte type)
    {
        final byte[] bytes = header.array();
        Arrays.fill(bytes, (byte)0);
        System.arraycopy(headerName, 0, bytes, TarHeader.NAME_OFFSET, nameLength);
        TarHeader.putOctal(header, TarHeader.MODE_OFFSET, TarHeader.ID_LENGTH, MODE);
        TarHeader.putOctal(header, TarHeader.UID_OFFSET, TarHeader.ID_LENGTH, 0);
        TarHeader.putOctal(header, TarHeader.GID_OFFSET, TarHeader.ID_LENGTH, 0);
        TarHeader.putOctal(header, TarHeader.SIZE_OFFSET, TarHeader.SIZE_LENGTH, size);
        TarHeader.putOctal(header, TarHeader.MTIME_OFFSET, TarHeader.MTIME_LENGTH, 0);
        bytes[TarHeader.TYPE_OFFSET] = type;
        System.arraycopy(TarHeader.GNU_MAGIC, 0, bytes, TarHeader.MAGIC_OFFSET, TarHeader.GNU_MAGIC.length);
        TarHeader.putChecksum(header, 0);
        out.putBytes(bytes, 0, BLOCK);
    }

    /**
     * Writes the sample key, the index as at least nine decimal digits, at the start of the member name.
     *
     * @return the key's length.
     */
    private int putKey(final long index)
    {
        final int length = keyLength(index);
        long rest = index;
        for (int i = length - 1; i >= 0; i--)
        {
            memberName[i] = (byte)('0' + rest % 10);
            rest /= 10;
        }

        return length;
    }

    private static int keyLength(final long index)
    {
        int digits = 1;
        for (long rest = index / 10; rest > 0; rest /= 10)
        {
            digits++;
        }

        return Math.max(KEY_DIGITS, digits);
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
