package io.stoker.transport.data;

/**
 * The data-plane transports, in the order a worker prefers them for a data server.
 */
public enum TransportKind
{
    /**
     * Same host: map the shard file read-only and copy the range. One copy, no server CPU.
     */
    LOCAL("local", 1),

    /**
     * One-sided RDMA READs into registered buffers. No server CPU.
     */
    RDMA("rdma", 4),

    /**
     * Read requests answered with frames over Aeron UDP.
     */
    UDP("udp", 2);

    private static final TransportKind[] VALUES = values();

    private final String label;
    private final int bit;

    TransportKind(final String label, final int bit)
    {
        this.label = label;
        this.bit = bit;
    }

    /**
     * @return the name users see in options, counters and summaries.
     */
    public String label()
    {
        return label;
    }

    /**
     * @param set a set of transports as carried by the control protocol.
     * @return true if this transport is in the set.
     */
    public boolean isIn(final byte set)
    {
        return (set & bit) != 0;
    }

    /**
     * @param set   a set of transports.
     * @return the set with this transport added.
     */
    public byte addTo(final byte set)
    {
        return (byte)(set | bit);
    }

    /**
     * @param label a transport's label.
     * @return its kind.
     * @throws IllegalArgumentException naming the accepted labels.
     */
    public static TransportKind fromLabel(final String label)
    {
        for (final TransportKind kind : VALUES)
        {
            if (kind.label.equals(label))
            {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + label + "', expected one of local, rdma, udp");
    }

    /**
     * @param set a set of transports.
     * @return their labels joined with '+', or "none".
     */
    public static String describe(final byte set)
    {
        final StringBuilder sb = new StringBuilder();
        for (final TransportKind kind : VALUES)
        {
            if (kind.isIn(set))
            {
                sb.append(sb.length() > 0 ? "+" : "").append(kind.label);
            }
        }
        return sb.length() > 0 ? sb.toString() : "none";
    }
}
