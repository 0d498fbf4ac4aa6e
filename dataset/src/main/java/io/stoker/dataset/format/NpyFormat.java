package io.stoker.dataset.format;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.function.LongToIntFunction;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.SplitMix64;

/**
 * NumPy {@code .npy} files, header versions 1.0, 2.0 and 3.0, C order: one record per row, that is per index of
 * the first axis, of {@code itemsize * product(shape[1:])} bytes. Records follow the header back to back.
 * <p>
 * Written files are version 1.0 (2.0 or 3.0 only when the header needs it) with the header padded with spaces and a
 * newline so the data starts at a multiple of 64 bytes, as NumPy writes them.
 */
public final class NpyFormat implements RecordFormat
{
    private static final byte[] MAGIC = { (byte)0x93, 'N', 'U', 'M', 'P', 'Y' };
    private static final int VERSION_OFFSET = MAGIC.length;
    private static final int HEADER_LENGTH_OFFSET = VERSION_OFFSET + 2;
    private static final int V1_PREAMBLE = HEADER_LENGTH_OFFSET + 2;
    private static final int V2_PREAMBLE = HEADER_LENGTH_OFFSET + 4;
    private static final int DATA_ALIGNMENT = 64;
    private static final int MAX_HEADER_BYTES = 1 << 20;

    private final NpyDtype dtype;
    private final int columns;
    private final int rowBytes;

    /**
     * The format for a spec; its dtype and columns are used when writing.
     *
     * @param spec an {@code npy} spec.
     */
    public NpyFormat(final FormatSpec spec)
    {
        dtype = NpyDtype.parse(spec.npyDtype());
        columns = spec.npyColumns();
        rowBytes = spec.recordSize();
    }

    @Override
    public FormatSpec scan(final ShardInput shard, final RecordSink sink)
    {
        final long length = shard.length();
        shard.requireMagic(MAGIC, ".npy magic", "not a .npy file: bad magic (expected \\x93NUMPY)");

        shard.require(0, V1_PREAMBLE, ".npy preamble");
        int index = shard.map(0, V1_PREAMBLE);
        final int major = shard.buffer().get(index + VERSION_OFFSET) & 0xFF;
        final int minor = shard.buffer().get(index + VERSION_OFFSET + 1) & 0xFF;
        if (major < 1 || major > 3)
        {
            throw new DatasetException(shard.file(), VERSION_OFFSET, "unsupported .npy version " + major + "." + minor);
        }

        final int preamble = major == 1 ? V1_PREAMBLE : V2_PREAMBLE;
        shard.require(0, preamble, ".npy preamble");
        index = shard.map(0, preamble);
        final ByteBuffer buffer = shard.buffer();
        final long headerLength = major == 1 ?
            buffer.getShort(index + HEADER_LENGTH_OFFSET) & 0xFFFF :
            buffer.getInt(index + HEADER_LENGTH_OFFSET) & 0xFFFF_FFFFL;
        if (headerLength > MAX_HEADER_BYTES)
        {
            throw new DatasetException(shard.file(), HEADER_LENGTH_OFFSET,
                ".npy header of " + headerLength + " bytes is larger than " + MAX_HEADER_BYTES);
        }
        shard.require(preamble, headerLength, ".npy header");

        final byte[] headerBytes = new byte[(int)headerLength];
        index = shard.map(preamble, headerBytes.length);
        shard.buffer().get(index, headerBytes);
        final String headerText = headerText(shard, preamble, headerBytes, major);
        final NpyHeader header;
        try
        {
            header = NpyHeader.parse(headerText);
        }
        catch (final PyLiteral.SyntaxError ex)
        {
            throw headerError(shard, preamble, headerText, major, ex.position(), "bad .npy header: " + ex.getMessage());
        }

        if (header.fortranOrder)
        {
            throw headerError(shard, preamble, headerText, major, header.fortranOrderPosition,
                "fortran_order True is not supported: records must be rows of a C-order array");
        }

        final long[] shape = header.shape;
        if (shape.length == 0)
        {
            throw headerError(shard, preamble, headerText, major, header.shapePosition,
                "shape () is a 0-d array, which has no rows to use as records");
        }

        long rowElements = 1;
        for (int i = 1; i < shape.length; i++)
        {
            rowElements = multiplyOrMax(rowElements, shape[i]);
        }

        final long recordBytes = multiplyOrMax(header.dtype.itemSize(), rowElements);
        if (recordBytes < 1 || recordBytes > Integer.MAX_VALUE)
        {
            throw headerError(shard, preamble, headerText, major, header.shapePosition,
                "rows of " + recordBytes + " bytes: records must be 1 byte to 2 GiB");
        }

        final long rows = shape[0];
        final long dataStart = preamble + headerLength;
        final long dataBytes = length - dataStart;
        final long expectedBytes = multiplyOrMax(rows, recordBytes);
        if (dataBytes < expectedBytes)
        {
            final long completeRows = dataBytes / recordBytes;
            throw new DatasetException(shard.file(), dataStart + completeRows * recordBytes,
                "data ends in row " + completeRows + " of " + rows + ", " + (expectedBytes - dataBytes) +
                " bytes short of what the shape says");
        }

        if (dataBytes > expectedBytes)
        {
            throw new DatasetException(shard.file(), dataStart + expectedBytes,
                (dataBytes - expectedBytes) + " bytes after the last of " + rows + " rows the shape says");
        }

        if (rows > 0)
        {
            sink.onRecords(dataStart, (int)recordBytes, rows);
        }

        return FormatSpec.npy(header.dtype.descr(), rowElements);
    }

    @Override
    public boolean fixedPayload()
    {
        return true;
    }

    @Override
    public int drawPayloadLength(final SplitMix64 sizes)
    {
        return rowBytes;
    }

    @Override
    public long recordLength(final long index, final int payloadLength)
    {
        return payloadLength;
    }

    @Override
    public void beginShard(final ShardOutput out, final long recordCount, final LongToIntFunction payloadLengths)
    {
        final String dict = "{'descr': " + dtype.headerLiteral() + ", 'fortran_order': False, 'shape': (" +
            recordCount + ", " + columns + "), }";
        final boolean latin1 = StandardCharsets.ISO_8859_1.newEncoder().canEncode(dict);
        final byte[] encoded = dict.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);

        int major = latin1 ? 1 : 3;
        int headerLength = paddedHeaderLength(V1_PREAMBLE, encoded.length);
        if (major > 1 || headerLength > 0xFFFF)
        {
            major = latin1 ? 2 : 3;
            headerLength = paddedHeaderLength(V2_PREAMBLE, encoded.length);
        }

        out.putBytes(MAGIC, 0, MAGIC.length);
        out.putByte((byte)major);
        out.putByte((byte)0);
        if (major == 1)
        {
            out.putByte((byte)headerLength);
            out.putByte((byte)(headerLength >>> 8));
        }
        else
        {
            out.putInt(headerLength);
        }

        out.putBytes(encoded, 0, encoded.length);
        for (int i = encoded.length; i < headerLength - 1; i++)
        {
            out.putByte((byte)' ');
        }
        out.putByte((byte)'\n');
    }

    @Override
    public void writeRecord(final ShardOutput out, final long index, final int payloadLength, final SplitMix64 content)
    {
        out.putRandom(payloadLength, content, null);
    }

    @Override
    public void endShard(final ShardOutput out)
    {
    }

    /**
     * The header as text: Latin-1 before version 3.0, UTF-8 from it on, where bytes that are not UTF-8 are refused
     * as NumPy refuses them, at their offset (decoded leniently they would put the offsets of later errors off).
     */
    private static String headerText(final ShardInput shard, final int headerStart, final byte[] bytes, final int major)
    {
        if (major != 3)
        {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }

        final ByteBuffer in = ByteBuffer.wrap(bytes);
        final CharBuffer out = CharBuffer.allocate(bytes.length);
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
        final CoderResult result = decoder.decode(in, out, true);
        if (result.isError())
        {
            throw new DatasetException(shard.file(), headerStart + in.position(), "bad .npy header: not UTF-8");
        }

        decoder.flush(out);
        return out.flip().toString();
    }

    /**
     * Header length counting the padding and final newline that make the data start at a multiple of 64 bytes.
     */
    private static int paddedHeaderLength(final int preamble, final int dictBytes)
    {
        final int unpadded = preamble + dictBytes + 1;
        return dictBytes + 1 + ((DATA_ALIGNMENT - unpadded % DATA_ALIGNMENT) % DATA_ALIGNMENT);
    }

    private static DatasetException headerError(
        final ShardInput shard,
        final int headerStart,
        final String headerText,
        final int major,
        final int position,
        final String reason)
    {
        final long byteOffset = major == 3 ?
            headerText.substring(0, position).getBytes(StandardCharsets.UTF_8).length : position;
        return new DatasetException(shard.file(), headerStart + byteOffset, reason);
    }

    private static long multiplyOrMax(final long a, final long b)
    {
        final long high = Math.multiplyHigh(a, b);
        final long product = a * b;
        return high != 0 || product < 0 ? Long.MAX_VALUE : product;
    }
}
