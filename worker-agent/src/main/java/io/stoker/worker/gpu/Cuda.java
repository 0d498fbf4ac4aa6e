package io.stoker.worker.gpu;

import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether this process can use a CUDA device, and why not: JCuda's driver binding must load (it links
 * {@code libcuda}, which only the NVIDIA driver installs), {@code cuInit} must succeed and the driver
 * must see at least one device. Asked once; the answer holds for the life of the process.
 * <p>
 * Stoker never turns on JCuda's exceptions ({@code JCudaDriver.setExceptionsEnabled}): it checks every
 * return code itself, because {@code CUDA_ERROR_NOT_READY} is a normal answer when it polls events. A
 * process that turns them on breaks that polling.
 */
public final class Cuda
{
    private static final Pattern MISSING_LIBRARY =
        Pattern.compile("([^\\s/:]+\\.so[.0-9]*): cannot open shared object file");

    private static String unavailableReason;
    private static int deviceCount;
    private static boolean probed;

    private Cuda()
    {
    }

    /**
     * @return null when a CUDA device can be used, else one line saying what is missing.
     */
    public static synchronized String unavailableReason()
    {
        if (!probed)
        {
            probe();
            probed = true;
        }
        return unavailableReason;
    }

    /**
     * For {@code @EnabledIf} and the like.
     *
     * @return true when a CUDA device can be used.
     */
    public static boolean cudaAvailable()
    {
        return null == unavailableReason();
    }

    /**
     * @return devices the driver sees (honouring {@code CUDA_VISIBLE_DEVICES}); 0 without CUDA.
     */
    public static synchronized int deviceCount()
    {
        unavailableReason();
        return deviceCount;
    }

    /**
     * @param ordinal a device, 0 to {@link #deviceCount()} - 1.
     * @return its name, e.g. "NVIDIA H100 80GB HBM3".
     */
    public static String deviceName(final int ordinal)
    {
        final CUdevice device = new CUdevice();
        check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet");
        final byte[] name = new byte[256];
        check(JCudaDriver.cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
        int length = 0;
        while (length < name.length && 0 != name[length])
        {
            length++;
        }
        return new String(name, 0, length, StandardCharsets.US_ASCII);
    }

    /**
     * Fail unless a driver call succeeded.
     *
     * @param result what the call returned.
     * @param call   its name, for the message.
     * @throws IllegalStateException naming the call and the CUDA error.
     */
    public static void check(final int result, final String call)
    {
        if (CUresult.CUDA_SUCCESS != result)
        {
            throw new IllegalStateException(call + " failed: " + CUresult.stringFor(result));
        }
    }

    private static void probe()
    {
        final int initResult;
        final int[] count = new int[1];
        try
        {
            initResult = JCudaDriver.cuInit(0);
            if (CUresult.CUDA_SUCCESS == initResult)
            {
                final int countResult = JCudaDriver.cuDeviceGetCount(count);
                if (CUresult.CUDA_SUCCESS != countResult)
                {
                    unavailableReason = "cuDeviceGetCount failed: " + CUresult.stringFor(countResult);
                    return;
                }
            }
        }
        catch (final LinkageError ex)
        {
            unavailableReason = describeLoadFailure(ex);
            return;
        }
        unavailableReason = describeDriverState(initResult, count[0]);
        deviceCount = null == unavailableReason ? count[0] : 0;
    }

    /**
     * @param error what loading JCuda's driver binding threw: {@link UnsatisfiedLinkError} the first
     *              time, {@link NoClassDefFoundError} after a failed static initialiser or without the jar.
     * @return one line naming what is missing.
     */
    static String describeLoadFailure(final Throwable error)
    {
        for (Throwable cause = error; null != cause; cause = cause.getCause())
        {
            final String message = String.valueOf(cause.getMessage());
            final Matcher missing = MISSING_LIBRARY.matcher(message);
            if (missing.find())
            {
                final String library = missing.group(1);
                return library.startsWith("libcuda.") ?
                    library + " (the NVIDIA driver library) is not installed, so JCuda's driver binding cannot load" :
                    library + " is missing, so JCuda's driver binding cannot load";
            }
        }
        if (error instanceof NoClassDefFoundError && String.valueOf(error.getMessage()).startsWith("jcuda/"))
        {
            return "JCuda is not on the class path (" + error.getMessage() + ")";
        }
        return "JCuda's driver binding did not load: " + firstLine(error);
    }

    /**
     * @param initResult what {@code cuInit} returned.
     * @param devices    devices counted when it succeeded.
     * @return null when there is a device to use, else why not.
     */
    static String describeDriverState(final int initResult, final int devices)
    {
        if (CUresult.CUDA_SUCCESS != initResult)
        {
            return "cuInit failed: " + CUresult.stringFor(initResult);
        }
        return devices > 0 ? null : "the NVIDIA driver sees no device (check CUDA_VISIBLE_DEVICES)";
    }

    private static String firstLine(final Throwable error)
    {
        final String message = String.valueOf(error.getMessage()).strip();
        final int end = message.indexOf('\n');
        return error.getClass().getSimpleName() + ": " + (end < 0 ? message : message.substring(0, end).strip());
    }
}
