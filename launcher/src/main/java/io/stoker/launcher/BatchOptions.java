package io.stoker.launcher;

import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import picocli.CommandLine.Option;

/**
 * How a job hands samples to each rank's consumer: the options {@code stoker local} and {@code stoker submit}
 * share.
 */
final class BatchOptions
{
    @Option(names = "--batch-size", defaultValue = "0", paramLabel = "B",
        description = "Samples per batch: each rank's consumer takes batches of B shuffled samples, every rank the " +
        "same number per epoch. 0 (the default) hands out whole chunks in plan order, one per step.")
    int batchSize;

    @Option(names = "--shuffle-window", defaultValue = "16", paramLabel = "K",
        description = "With --batch-size: the samples of K consecutive chunks of a rank's share are shuffled " +
        "together; memory per worker grows with K. Default: ${DEFAULT-VALUE}.")
    int shuffleWindow;

    @Option(names = "--drop-policy", defaultValue = "drop-last", paramLabel = "drop-last|partial",
        description = "With --batch-size: samples that do not fill a last step on every rank are left out " +
        "(drop-last; the report lists them) or make one smaller last batch on every rank (partial). " +
        "Default: ${DEFAULT-VALUE}.")
    String dropPolicy;

    /**
     * @return the batch spec the options describe.
     * @throws IllegalArgumentException naming the option out of range.
     */
    BatchSpec spec()
    {
        if (0 == batchSize)
        {
            return BatchSpec.CHUNKS;
        }
        return new BatchSpec(batchSize, shuffleWindow, DropPolicy.fromLabel(dropPolicy));
    }
}
