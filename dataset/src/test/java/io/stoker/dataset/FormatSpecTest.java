package io.stoker.dataset;

import io.stoker.dataset.format.MegatronDtype;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FormatSpecTest
{
    @Test
    void parsesEveryForm()
    {
        final FormatSpec fixed = FormatSpec.parse("fixed:4KiB");
        assertEquals(FormatSpec.Kind.FIXED, fixed.kind());
        assertEquals(4096, fixed.recordSize());
        assertEquals(4096, fixed.meanRecordSize());
        assertEquals(".bin", fixed.fileExtension());
        assertTrue(fixed.fixedStride());
        assertNull(fixed.npyDtype());

        final FormatSpec npy = FormatSpec.parse("npy");
        assertEquals("<f4", npy.npyDtype());
        assertEquals(1024, npy.npyColumns());
        assertEquals(4096, npy.recordSize());
        assertEquals(".npy", npy.fileExtension());
        assertTrue(npy.fixedStride());
        assertEquals(npy, FormatSpec.parse("npy:<f4:1024"));

        final FormatSpec u2 = FormatSpec.parse("npy:<u2:2048");
        assertEquals("<u2", u2.npyDtype());
        assertEquals(2048, u2.npyColumns());
        assertEquals(4096, u2.meanRecordSize());

        final FormatSpec structured = FormatSpec.parse("npy:[('x','<f4'),('',\"|V4\"),('y','<i2',(3,))]:2");
        assertEquals("[('x', '<f4'), ('', '|V4'), ('y', '<i2', (3,))]", structured.npyDtype());
        assertEquals(2 * 14, structured.recordSize());

        assertEquals(2 * 20, FormatSpec.parse("npy:<U5:2").recordSize());
        assertEquals(16, FormatSpec.parse("npy:<c16:1").recordSize());
        assertEquals(8, FormatSpec.parse("npy:<M8[ns]:1").recordSize());

        final FormatSpec tfrecord = FormatSpec.parse("tfrecord");
        assertEquals(4096, tfrecord.meanRecordSize());
        assertEquals(0, tfrecord.recordSize());
        assertFalse(tfrecord.fixedStride());
        assertEquals(".tfrecord", tfrecord.fileExtension());
        assertEquals(65536, FormatSpec.parse("tfrecord:64KiB").meanRecordSize());

        final FormatSpec webdataset = FormatSpec.parse("webdataset");
        assertEquals(16384, webdataset.meanRecordSize());
        assertEquals(".tar", webdataset.fileExtension());
        assertFalse(webdataset.fixedStride());
        assertEquals(webdataset, FormatSpec.parse("tar"));
        assertEquals(FormatSpec.webdataset(100_000), FormatSpec.parse("TAR:100KB"));

        final FormatSpec megatron = FormatSpec.parse("megatron");
        assertEquals(FormatSpec.Kind.MEGATRON, megatron.kind());
        assertEquals(MegatronDtype.UINT16, megatron.megatronDtype());
        assertEquals(0, megatron.sequenceLength());
        assertEquals(0, megatron.recordSize());
        assertEquals(0, megatron.recordStride());
        assertEquals(2048, megatron.meanRecordSize());
        assertFalse(megatron.fixedStride());
        assertEquals(".bin", megatron.fileExtension());
        assertEquals(megatron, FormatSpec.parse("megatron:doc"));
        assertEquals(megatron, FormatSpec.parse("Megatron:UINT16:doc"));
        assertEquals(MegatronDtype.FLOAT64, FormatSpec.parse("megatron:float64").megatronDtype());

        final FormatSpec gpt = FormatSpec.parse("megatron:int32:seq:2048");
        assertEquals(MegatronDtype.INT32, gpt.megatronDtype());
        assertEquals(2048, gpt.sequenceLength());
        assertEquals(2049 * 4, gpt.recordSize());
        assertEquals(2048 * 4, gpt.recordStride());
        assertTrue(gpt.fixedStride());
        assertEquals(FormatSpec.megatron(MegatronDtype.UINT16, 4), FormatSpec.parse("megatron:seq:4"));

        final FormatSpec mds = FormatSpec.parse("mds");
        assertEquals(FormatSpec.Kind.MDS, mds.kind());
        assertEquals(4096, mds.meanRecordSize());
        assertEquals(0, mds.recordSize());
        assertFalse(mds.fixedStride());
        assertEquals(".mds", mds.fileExtension());
        assertEquals(FormatSpec.mds(10_240), FormatSpec.parse("mds:10KiB"));
    }

    @Test
    void toStringParsesBackToAnEqualSpec()
    {
        for (final String text : new String[]{ "fixed:4096", "fixed:1", "npy", "npy:|b1:3", "npy:|S10:1", "megatron",
            "megatron:int8", "megatron:seq:1", "megatron:float32:seq:8191", "mds", "mds:1k",
            "npy:[(('title', 'name'), '<f8'), ('n', [('a', '|u1')], (2, 2))]:4", "tfrecord", "tfrecord:100",
            "webdataset", "tar:1MiB" })
        {
            final FormatSpec spec = FormatSpec.parse(text);
            assertEquals(spec, FormatSpec.parse(spec.toString()), text);
            assertEquals(spec.hashCode(), FormatSpec.parse(spec.toString()).hashCode(), text);
            assertEquals(spec.toString(), FormatSpec.parse(spec.toString()).toString(), text);
        }

        assertEquals("fixed:4096", FormatSpec.parse("fixed:4k").toString());
        assertEquals("npy:<f4:1024", FormatSpec.parse("npy").toString());
        assertEquals("webdataset:16384", FormatSpec.parse("tar").toString());
        assertEquals("megatron:uint16", FormatSpec.parse("megatron").toString());
        assertEquals("megatron:uint16:seq:2048", FormatSpec.parse("megatron:seq:2048").toString());
        assertEquals("mds:4096", FormatSpec.parse("mds").toString());
        assertNotEquals(FormatSpec.parse("megatron:seq:2048"), FormatSpec.parse("megatron:seq:2047"));
        assertNotEquals(FormatSpec.parse("megatron:uint16"), FormatSpec.parse("megatron:int16"));
        assertNotEquals(FormatSpec.parse("tfrecord:100"), FormatSpec.parse("tfrecord:101"));
    }

    @Test
    void refusesBadTextListingTheAcceptedForms()
    {
        for (final String bad : new String[]{ "", "csv", "fixed", "fixed:0", "fixed:abc", "fixed:3GiB", "npy:<f4",
            "npy:<f4:0", "npy:<f4:x", "npy:|O8:1", "npy:<q4:1", "npy:[('x', '<f4'):1", "npy:[]:1",
            "npy:[('x', '<f8', (0,))]:5", "tfrecord:0", "webdataset:2GiB", "megatron:", "megatron:int3",
            "megatron:seq", "megatron:seq:0", "megatron:seq:x", "megatron:seq:-1", "megatron:int64:seq:300000000",
            "megatron:seq:9223372036854775807", "megatron:uint8:seq:2147483647",
            "megatron:uint16:doc:5", "megatron:seq:4:uint16", "mds:0", "mds:x" })
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> FormatSpec.parse(bad), bad);
            assertTrue(ex.getMessage().startsWith("bad format '" + bad + "'"), ex.getMessage());
            assertTrue(ex.getMessage().contains("expected fixed:<recordBytes>, npy, npy:<dtype>:<columns>"),
                ex.getMessage());
        }
    }

    @Test
    void knowsTheKindOfAFileName()
    {
        assertEquals(FormatSpec.Kind.FIXED, FormatSpec.Kind.ofFileName("a.bin"));
        assertEquals(FormatSpec.Kind.NPY, FormatSpec.Kind.ofFileName("a.NPY"));
        assertEquals(FormatSpec.Kind.TFRECORD, FormatSpec.Kind.ofFileName("train-00001.tfrecord"));
        assertEquals(FormatSpec.Kind.TFRECORD, FormatSpec.Kind.ofFileName("train.tfrecords"));
        assertEquals(FormatSpec.Kind.WEBDATASET, FormatSpec.Kind.ofFileName("shard-000.tar"));
        assertEquals(FormatSpec.Kind.MDS, FormatSpec.Kind.ofFileName("shard.00000.mds"));
        assertEquals(FormatSpec.Kind.FIXED, FormatSpec.Kind.ofFileName("tokens_text_document.bin"));
        assertNull(FormatSpec.Kind.ofFileName("tokens_text_document.idx"));
        assertNull(FormatSpec.Kind.ofFileName("data.csv"));
    }
}
