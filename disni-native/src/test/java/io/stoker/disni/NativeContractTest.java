package io.stoker.disni;

import com.ibm.disni.util.NativeAffinity;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.RdmaEventChannel;
import com.ibm.disni.verbs.impl.NatIbvRecvWR;
import com.ibm.disni.verbs.impl.NatIbvSendWR;
import com.ibm.disni.verbs.impl.NatIbvSge;
import com.ibm.disni.verbs.impl.NativeDispatcher;
import com.ibm.disni.verbs.impl.SockAddrIn;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The contract between DiSNI 2.1's Java side and Stoker's libdisni, checked without an RDMA device.
 * (The verbs themselves are checked in the Soft-RoCE guest: rdma-lab/disni-smoke.sh.)
 */
class NativeContractTest {
    private static NativeDispatcher dispatcher;

    @BeforeEach
    void library() throws Exception {
        NativeLibrarySupport.assumeLibraryBuilt(); // each test reports the skip and its reason
        if (dispatcher == null) {
            Constructor<NativeDispatcher> ctor = NativeDispatcher.class.getDeclaredConstructor();
            ctor.setAccessible(true);
            dispatcher = ctor.newInstance(); // runs DiSNI's own version and layout checks; throws if outdated
        }
    }

    @Test
    void libraryLoadsFromTheBuildDirectory() {
        System.loadLibrary(DisniLibrary.LIBRARY_NAME);
        assertTrue(DisniLibrary.libraryLoaded(), DisniLibrary.describe());
        assertEquals(NativeLibrarySupport.library(), DisniLibrary.libraryFile());
    }

    @Test
    void versionIsTheOneDisniRequires() throws Exception {
        Field required = NativeDispatcher.class.getDeclaredField("JVERBS_VERSION");
        required.setAccessible(true);
        assertEquals(32, required.getInt(null), "DiSNI 2.1's JVERBS_VERSION");
        assertEquals(required.getInt(null), dispatcher._getVersion());
        assertEquals(DisniLibrary.DISNI_JNI_VERSION, dispatcher._getVersion());
    }

    /**
     * DiSNI's constructor overwrites its constants with the native numbers on a mismatch, so the
     * numbers are also compared with DiSNI 2.1's published constants, not only with the fields.
     */
    @Test
    void sizesAndOffsetsAreDisnisJavaLayout() {
        assertEquals(28, dispatcher._getSockAddrInSize(), "SockAddrIn.CSIZE");
        assertEquals(32, dispatcher._getIbvRecvWRSize(), "NatIbvRecvWR.CSIZE");
        assertEquals(72, dispatcher._getIbvSendWRSize(), "NatIbvSendWR.CSIZE");
        assertEquals(16, dispatcher._getIbvSgeSize(), "NatIbvSge.CSIZE");
        assertEquals(48, dispatcher._getIbvWCSize(), "IbvWC.CSIZE");
        assertEquals(40, dispatcher._getRemoteAddressOffset(), "NatIbvSendWR.REMOTEADDR_OFFSET");
        assertEquals(48, dispatcher._getRKeyOffset(), "NatIbvSendWR.RKEY_OFFSET");

        assertEquals(SockAddrIn.CSIZE, dispatcher._getSockAddrInSize());
        assertEquals(NatIbvRecvWR.CSIZE, dispatcher._getIbvRecvWRSize());
        assertEquals(NatIbvSendWR.CSIZE, dispatcher._getIbvSendWRSize());
        assertEquals(NatIbvSge.CSIZE, dispatcher._getIbvSgeSize());
        assertEquals(IbvWC.CSIZE, dispatcher._getIbvWCSize());
        assertEquals(NatIbvSendWR.REMOTEADDR_OFFSET, dispatcher._getRemoteAddressOffset());
        assertEquals(NatIbvSendWR.RKEY_OFFSET, dispatcher._getRKeyOffset());
    }

    /**
     * Calls every native DiSNI declares with null handles: each must be bound (no
     * UnsatisfiedLinkError) and refuse the null handle (IOException or a negative result), not crash.
     */
    @Test
    void everyNativeIsBoundAndRefusesNullHandles() throws Exception {
        List<Method> natives = natives(NativeDispatcher.class);
        assertEquals(48, natives.size(), "DiSNI 2.1's NativeDispatcher declares 48 natives");
        List<String> report = new ArrayList<>();
        for (Method m : natives) {
            if (m.getName().equals("_createEventChannel")) {
                continue; // takes no handle: checked in noDeviceGivesAClearReasonNotACrash
            }
            Object[] args = Arrays.stream(m.getParameterTypes()).map(NativeContractTest::zero).toArray();
            m.setAccessible(true);
            try {
                Object result = m.invoke(dispatcher, args);
                report.add(m.getName() + " -> " + result);
                if (m.getName().startsWith("_get")
                        && m.getName().matches("_get(SockAddrIn|Ibv|Remote|RKey|Version).*")) {
                    assertTrue(((Integer) result) > 0, m.getName());
                } else if (m.getName().equals("_ackCmEvent")) {
                    assertEquals(0, result, m.getName()); // events are acked in _getCmEvent
                } else if (m.getReturnType() == void.class) {
                    throw new AssertionError(m.getName() + " accepted null handles");
                } else if (result instanceof Number) {
                    assertTrue(((Number) result).longValue() < 0,
                            m.getName() + " with null handles returned " + result);
                }
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                assertTrue(cause instanceof IOException, m.getName() + " threw " + cause);
                report.add(m.getName() + " -> " + cause.getMessage());
            }
        }
        System.out.println(String.join("\n", report));

        List<Method> affinity = natives(NativeAffinity.class);
        assertEquals(2, affinity.size(), "NativeAffinity's natives");
        Method get = NativeAffinity.class.getDeclaredMethod("_getAffinity");
        get.setAccessible(true);
        long mask = (Long) get.invoke(null);
        assertNotEquals(0L, mask, "this thread may run on some CPU");
        Method set = NativeAffinity.class.getDeclaredMethod("_setAffinity", long.class);
        set.setAccessible(true);
        set.invoke(null, mask); // same mask: no change
        assertEquals(mask, (Long) get.invoke(null));
    }

    @Test
    void noDeviceGivesAClearReasonNotACrash() throws Exception {
        assumeFalse(NativeLibrarySupport.machineHasRdmaDevice(), "this machine has an RDMA device");
        assertFalse(DisniLibrary.load());
        assertTrue(DisniLibrary.libraryLoaded());
        assertTrue(DisniLibrary.devices().isEmpty());
        assertTrue(DisniLibrary.unavailableReason().startsWith("no RDMA device ("), DisniLibrary.unavailableReason());
        System.out.println("unavailableReason: " + DisniLibrary.unavailableReason());
        // DiSNI's own path: no channel (null), which RdmaCmProcessor reports as "No RDMA device configured!"
        assertNull(RdmaEventChannel.createEventChannel());
        assertTrue(dispatcher._createEventChannel() < 0);
    }

    private static List<Method> natives(Class<?> cls) {
        List<Method> natives = new ArrayList<>();
        for (Method m : cls.getDeclaredMethods()) {
            if (Modifier.isNative(m.getModifiers())) {
                natives.add(m);
            }
        }
        natives.sort(Comparator.comparing(Method::getName));
        return natives;
    }

    private static Object zero(Class<?> type) {
        if (type == long.class) {
            return 0L;
        } else if (type == int.class) {
            return 0;
        } else if (type == short.class) {
            return (short) 0;
        } else if (type == byte.class) {
            return (byte) 0;
        }
        throw new IllegalArgumentException(type.toString());
    }
}
