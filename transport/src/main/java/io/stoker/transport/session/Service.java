package io.stoker.transport.session;

/**
 * What a session is opened with: the verifier's role. It is part of every session's transcript, so
 * a proof made for one service is worthless at the other.
 */
public enum Service
{
    /**
     * Membership: workers, data servers and clients register with the coordinator.
     */
    COORDINATOR("coordinator"),

    /**
     * A worker's data connection to a data server's UDP endpoint.
     */
    DATA_SERVER("data server");

    private final String label;

    Service(final String label)
    {
        this.label = label;
    }

    /**
     * @return how logs name it.
     */
    public String label()
    {
        return label;
    }
}
