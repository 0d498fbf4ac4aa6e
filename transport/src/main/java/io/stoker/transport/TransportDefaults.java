package io.stoker.transport;

import java.io.File;

/**
 * Defaults shared by every Stoker process's Aeron setup, in one place.
 */
public final class TransportDefaults
{
    /**
     * Term length of IPC publications: large enough that a burst of control messages never waits.
     */
    public static final int IPC_TERM_LENGTH = 16 * 1024 * 1024;

    /**
     * Term length of UDP publications: 64 MiB keeps a 4 MiB chunk's frames in flight without stalls.
     */
    public static final int UDP_TERM_LENGTH = 64 * 1024 * 1024;

    /**
     * MTU of UDP publications: the largest Aeron allows, fewer frames per chunk.
     */
    public static final int MTU_LENGTH = 64 * 1024 - 1536;

    /**
     * Socket send and receive buffers, and the receiver window.
     */
    public static final int SOCKET_BUFFER_LENGTH = 4 * 1024 * 1024;

    private TransportDefaults()
    {
    }

    /**
     * A directory for a media driver of this process alone: in {@code /dev/shm} where Linux has it.
     *
     * @param name the directory's name.
     * @return its absolute path.
     */
    public static String tempAeronDirectory(final String name)
    {
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() && shm.canWrite() ? shm : new File(System.getProperty("java.io.tmpdir"));
        return new File(parent, name).getAbsolutePath();
    }
}
