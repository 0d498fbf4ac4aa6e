package io.stoker.transport.rdma;

import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * What the transport decides without touching a device: whether it reaches a server, and why not.
 */
class RdmaTransportTest
{
    private static final WorkerRegistration REGISTRATION = new WorkerRegistration(0, null);
    private static final byte LOCAL_AND_RDMA = TransportKind.RDMA.addTo(TransportKind.LOCAL.addTo((byte)0));

    @Test
    void aMissingLibraryOrDeviceIsTheReasonForEveryServer()
    {
        final RdmaCapability capability = RdmaCapability.probe(null);
        assumeFalse(capability.isAvailable(), "this machine can use RDMA: there is nothing missing to report");
        assertNotNull(capability.unavailableReason());
        assertTrue(capability.unavailableReason().matches(".*(libdisni|DiSNI|RDMA device|rdma_cm).*"),
            capability.unavailableReason());

        final RdmaTransport transport =
            new RdmaTransport(capability, RdmaSettings.DEFAULTS, 8, SystemNanoClock.INSTANCE, REGISTRATION);
        assertEquals(
            capability.unavailableReason(), transport.unreachableReason(server(LOCAL_AND_RDMA, "10.0.0.2:7000")));
    }

    @Test
    void aServerThatDoesNotOfferRdmaIsNotReached()
    {
        final RdmaTransport transport = new RdmaTransport(
            new RdmaCapability("10.0.0.1", null), RdmaSettings.DEFAULTS, 8, SystemNanoClock.INSTANCE, REGISTRATION);
        assertEquals("server 3 does not offer rdma reads",
            transport.unreachableReason(server(TransportKind.LOCAL.addTo((byte)0), "")));
        assertEquals("server 3 does not offer rdma reads", transport.unreachableReason(server(LOCAL_AND_RDMA, "")));
        assertNull(transport.unreachableReason(server(LOCAL_AND_RDMA, "10.0.0.2:7000")));
        assertEquals(TransportKind.RDMA, transport.kind());
    }

    @Test
    void settingsOutOfRangeAreRefusedByName()
    {
        assertThrows(IllegalArgumentException.class, () -> new RdmaSettings(100, 1, 16, 1));
        assertEquals("rdma queue pairs per server must be 1 to 64, was 0", assertThrows(IllegalArgumentException.class,
            () -> new RdmaSettings(RdmaSettings.DEFAULT_READ_SIZE, 0, 16, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RdmaSettings(RdmaSettings.DEFAULT_READ_SIZE, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new RdmaSettings(RdmaSettings.DEFAULT_READ_SIZE, 1, 1, 0));
    }

    @Test
    void endpointsAreIpAndPort()
    {
        assertEquals("10.0.2.15:7000", RdmaEndpoints.format(RdmaEndpoints.parse("10.0.2.15:7000")));
        assertThrows(IllegalArgumentException.class, () -> RdmaEndpoints.parse("10.0.2.15"));
        assertThrows(IllegalArgumentException.class, () -> RdmaEndpoints.parse("10.0.2.15:port"));
    }

    private static ServerAdvertisement server(final byte transports, final String rdmaEndpoint)
    {
        return new ServerAdvertisement(3, "dataset", "host", transports, "", rdmaEndpoint);
    }
}
