package io.stoker.transport.rdma;

import io.stoker.transport.data.FencedRegistrations;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A data server's registrations per connection, without a device: fencing a worker's registration hands back
 * exactly the connections it proved (each has its own keys), leaves other workers' connections alone, and refuses
 * the registration from then on; a new registration of the same worker is proven again.
 */
class RdmaConnectionTableTest
{
    private static final long WORKER_A = 0xa1L;
    private static final long WORKER_A_AGAIN = 0xa2L;
    private static final long WORKER_B = 0xb1L;

    private final RdmaConnectionTable<String> table = new RdmaConnectionTable<>();

    @Test
    void fencingARegistrationHandsBackOnlyItsConnections()
    {
        table.add(1, "a-1");
        table.add(2, "a-2");
        table.add(3, "b-1");
        assertTrue(table.prove(1, WORKER_A));
        assertTrue(table.prove(2, WORKER_A));
        assertTrue(table.prove(3, WORKER_B));

        assertEquals(List.of("a-1", "a-2"), table.fence(WORKER_A));
        assertTrue(table.isFenced(WORKER_A));
        assertFalse(table.isFenced(WORKER_B), "the live worker is not fenced");
        assertEquals(List.of(), table.fence(WORKER_A), "a second fence hands back nothing more");
        assertEquals(3, table.size(), "revoked connections stay until closed");

        assertEquals("a-1", table.remove(1));
        assertEquals("a-2", table.remove(2));
        assertEquals(List.of("b-1"), table.fence(WORKER_B));
    }

    @Test
    void aFencedRegistrationIsRefusedAndItsWorkerRegisteredAgainIsNot()
    {
        table.fence(WORKER_A);
        table.add(1, "a-stale");
        assertFalse(table.prove(1, WORKER_A));
        assertEquals(List.of(), table.fence(WORKER_A), "the refused connection was never proven");

        table.add(2, "a-new");
        assertTrue(table.prove(2, WORKER_A_AGAIN), "positive control: the same worker's new registration");
        assertEquals(List.of("a-new"), table.fence(WORKER_A_AGAIN));
    }

    @Test
    void aConnectionProvesOnceAndAClosedOneNotAtAll()
    {
        table.add(1, "a");
        assertTrue(table.prove(1, WORKER_A));
        assertFalse(table.prove(1, WORKER_B), "a second proof on the same connection");
        assertEquals("a", table.remove(1));
        assertNull(table.remove(1));
        assertFalse(table.prove(1, WORKER_A), "the connection is gone");
        assertEquals(List.of(), table.fence(WORKER_A), "a closed connection is not handed back");
        assertEquals(0, table.size());
    }

    @Test
    void theOldestFencedRegistrationsAreForgottenBeyondTheBound()
    {
        for (long registration = 1; registration <= FencedRegistrations.MAX_FENCED + 1; registration++)
        {
            table.fence(registration);
        }
        assertFalse(table.isFenced(1));
        assertTrue(table.isFenced(2));
        assertTrue(table.isFenced(FencedRegistrations.MAX_FENCED + 1));
    }
}
