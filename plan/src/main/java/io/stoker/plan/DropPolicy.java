package io.stoker.plan;

/**
 * What becomes of the samples of an epoch that do not fill a last global step (a batch on every rank).
 * Never are samples repeated to fill it.
 */
public enum DropPolicy
{
    /**
     * Leave them out: every rank has the same number of full batches. They are the tail of the epoch's
     * sample order, so they differ from epoch to epoch, and the run's report lists them.
     */
    DROP_LAST("drop-last"),

    /**
     * Deliver them in one last, smaller batch on every rank, the sizes differing by at most one (a rank
     * may get an empty last batch when fewer samples remain than there are ranks).
     */
    PARTIAL("partial");

    private final String label;

    DropPolicy(final String label)
    {
        this.label = label;
    }

    /**
     * @return the name users give and see.
     */
    public String label()
    {
        return label;
    }

    /**
     * @param label as users write it.
     * @return the policy.
     * @throws IllegalArgumentException naming the accepted values.
     */
    public static DropPolicy fromLabel(final String label)
    {
        for (final DropPolicy policy : values())
        {
            if (policy.label.equals(label))
            {
                return policy;
            }
        }
        throw new IllegalArgumentException("drop policy must be drop-last or partial, was " + label);
    }
}
