package io.stoker.worker.gpu;

import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Whether the GPU sink is offered, and the one line that says why not. The fallback half runs where
 * there is no CUDA device (it is skipped, saying so, where there is one).
 */
class CudaDetectionTest
{
    private static final String JCUDA_LOAD_FAILURE = """
        Error while loading native library "JCudaDriver-12.6.0-linux-x86_64"
        Operating system name: Linux
        Architecture         : amd64
        ---(start of nested stack traces)---
        Stack trace from the attempt to load the library as a file:
        java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib
        Stack trace from the attempt to load the library as a resource:
        java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: \
        cannot open shared object file: No such file or directory
        ---(end of nested stack traces)---
        """;

    @Test
    void withoutADeviceTheReasonIsOneLineNamingWhatIsMissing()
    {
        final String reason = Cuda.unavailableReason();
        assumeTrue(null != reason, "a CUDA device is usable here, so there is no fallback to check");

        assertFalse(reason.isBlank());
        assertFalse(reason.contains("\n"), reason);
        assertTrue(reason.contains("libcuda") || reason.startsWith("cuInit failed: CUDA_ERROR_") ||
            reason.contains("sees no device") || reason.contains("JCuda"), reason);
        assertEquals(0, Cuda.deviceCount());
        assertFalse(Cuda.cudaAvailable());
    }

    @Test
    void withoutADeviceNoGpuSinkIsMadeAndTheMessageIsTheOneLine()
    {
        final String reason = Cuda.unavailableReason();
        assumeTrue(null != reason, "a CUDA device is usable here, so there is no fallback to check");

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> new GpuSinkFactory(0));
        assertEquals("no CUDA device: " + reason, ex.getMessage());
    }

    @Test
    void aMissingDriverLibraryIsNamed()
    {
        final String reason = Cuda.describeLoadFailure(new UnsatisfiedLinkError(JCUDA_LOAD_FAILURE));
        assertEquals(
            "libcuda.so.1 (the NVIDIA driver library) is not installed, so JCuda's driver binding cannot load", reason);
    }

    @Test
    void aFailedStaticInitialiserSeenLaterIsTracedToTheMissingLibrary()
    {
        final NoClassDefFoundError later =
            new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver");
        later.initCause(new ExceptionInInitializerError("Exception java.lang.UnsatisfiedLinkError: " +
            JCUDA_LOAD_FAILURE + " [in thread \"main\"]"));
        assertTrue(Cuda.describeLoadFailure(later).startsWith("libcuda.so.1 (the NVIDIA driver library)"));
    }

    @Test
    void anotherMissingLibraryIsNamedToo()
    {
        final String reason = Cuda.describeLoadFailure(
            new UnsatisfiedLinkError("/tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libstdc++.so.6: cannot open shared " +
            "object file: No such file or directory"));
        assertEquals("libstdc++.so.6 is missing, so JCuda's driver binding cannot load", reason);
    }

    @Test
    void aMissingJarIsNamed()
    {
        assertEquals("JCuda is not on the class path (jcuda/driver/JCudaDriver)",
            Cuda.describeLoadFailure(new NoClassDefFoundError("jcuda/driver/JCudaDriver")));
    }

    @Test
    void anyOtherLoadFailureKeepsItsFirstLine()
    {
        assertEquals("JCuda's driver binding did not load: UnsatisfiedLinkError: Error while loading native library " +
            "\"JCudaDriver-12.6.0-linux-aarch64\"", Cuda.describeLoadFailure(new UnsatisfiedLinkError(
            "Error while loading native library \"JCudaDriver-12.6.0-linux-aarch64\"\nOperating system name: Linux")));
    }

    @Test
    void aDriverThatFailsToInitialiseOrSeesNoDeviceIsNotOffered()
    {
        assertEquals("cuInit failed: CUDA_ERROR_NO_DEVICE",
            Cuda.describeDriverState(CUresult.CUDA_ERROR_NO_DEVICE, 0));
        assertEquals("cuInit failed: CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
            Cuda.describeDriverState(CUresult.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, 0));
        assertEquals("the NVIDIA driver sees no device (check CUDA_VISIBLE_DEVICES)",
            Cuda.describeDriverState(CUresult.CUDA_SUCCESS, 0));
        assertNull(Cuda.describeDriverState(CUresult.CUDA_SUCCESS, 2));
    }
}
