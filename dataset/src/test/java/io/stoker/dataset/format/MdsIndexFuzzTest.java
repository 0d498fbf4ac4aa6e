package io.stoker.dataset.format;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FuzzChecks;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link MdsIndex#parse}, which reads the {@code index.json} of an MDS dataset with Jackson: any bytes are
 * either shards with plain, distinct file names, counts in range and offsets inside the input, or a
 * {@link DatasetException} at an offset inside it; Jackson's own exceptions never escape.
 */
class MdsIndexFuzzTest
{
    private static final Path FILE = Path.of("fuzz", MdsIndex.FILE_NAME);

    static Stream<Arguments> fixtures()
    {
        return ShardFuzzing.seeds("mds/index.json", "mds/compressed-index.json");
    }

    @MethodSource("fixtures")
    @DictionaryFile(resourcePath = "/fuzz/mds.dict")
    @FuzzTest
    void parse(final byte[] input)
    {
        final MdsIndex index;
        try
        {
            index = MdsIndex.parse(FILE, input);
        }
        catch (final DatasetException ex)
        {
            FuzzChecks.assertBadInput(ex, FILE.toString(), input.length);
            return;
        }

        final Set<String> names = new HashSet<>();
        for (final MdsIndex.Shard shard : index.shards())
        {
            assertTrue(names.add(shard.basename()), "distinct names");
            assertFalse(shard.basename().isEmpty() || shard.basename().contains("/") ||
                shard.basename().equals("..") || shard.basename().equals("."), shard.basename());
            assertTrue(shard.bytes() >= 0 && shard.samples() >= 0 && shard.samples() <= 0xFFFF_FFFFL, "counts");
            for (final long offset : new long[]{ shard.basenameOffset(), shard.bytesOffset(), shard.samplesOffset() })
            {
                assertTrue(offset >= 0 && offset < input.length, "offsets inside the input");
            }
        }
    }
}
