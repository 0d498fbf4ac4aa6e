package io.stoker.transport.rdma;

import io.stoker.transport.data.FencedRegistrations;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * A data server's bookkeeping of workers' RDMA connections, without verbs: each connection by its serial, which
 * registration (a worker's lease with the coordinator) proved it, and the registrations whose lease ended. A
 * connection proven by a registration that was fenced is refused; fencing a registration hands back the
 * connections it proved, whose keys the server then deregisters. The fenced registrations are remembered up to
 * {@link FencedRegistrations#MAX_FENCED}, oldest forgotten first.
 *
 * @param <T> the server's connection.
 */
final class RdmaConnectionTable<T>
{
    private final Long2ObjectHashMap<T> bySerial = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<List<T>> byRegistration = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Long> registrationOf = new Long2ObjectHashMap<>();
    private final FencedRegistrations fenced = new FencedRegistrations();

    /**
     * A connection was accepted; it has proven nothing yet.
     */
    void add(final long serial, final T connection)
    {
        bySerial.put(serial, connection);
    }

    /**
     * @return the connection, or null when it is gone.
     */
    T get(final long serial)
    {
        return bySerial.get(serial);
    }

    /**
     * @return connections accepted and not yet removed.
     */
    int size()
    {
        return bySerial.size();
    }

    /**
     * @return true when the registration's lease ended (as far as remembered).
     */
    boolean isFenced(final long registrationId)
    {
        return fenced.contains(registrationId);
    }

    /**
     * The connection proved a registration.
     *
     * @return false, and nothing recorded, when the registration was fenced or the connection is gone.
     */
    boolean prove(final long serial, final long registrationId)
    {
        final T connection = bySerial.get(serial);
        if (null == connection || fenced.contains(registrationId) || registrationOf.containsKey(serial))
        {
            return false;
        }
        registrationOf.put(serial, Long.valueOf(registrationId));
        byRegistration.computeIfAbsent(registrationId, ignore -> new ArrayList<>(1)).add(connection);
        return true;
    }

    /**
     * A registration's lease ended: remember it, and hand back the connections it proved (they stay in the table
     * until {@link #remove}d).
     *
     * @return those connections, empty when it proved none.
     */
    List<T> fence(final long registrationId)
    {
        fenced.add(registrationId);
        final List<T> connections = byRegistration.remove(registrationId);
        return null == connections ? List.of() : connections;
    }

    /**
     * The connection is closed.
     *
     * @return it, or null when it was not in the table.
     */
    T remove(final long serial)
    {
        final T connection = bySerial.remove(serial);
        final Long registrationId = registrationOf.remove(serial);
        if (null != registrationId)
        {
            final List<T> connections = byRegistration.get(registrationId.longValue());
            if (null != connections)
            {
                connections.remove(connection);
                if (connections.isEmpty())
                {
                    byRegistration.remove(registrationId.longValue());
                }
            }
        }
        return connection;
    }
}
