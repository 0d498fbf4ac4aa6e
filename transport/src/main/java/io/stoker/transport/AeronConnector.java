package io.stoker.transport;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.File;
import java.util.UUID;

/**
 * Connects a Stoker process to Aeron: starts an embedded media driver (the default) or joins an
 * external one, then connects a client to it.
 * <p>
 * The embedded driver runs in {@link ThreadingMode#SHARED} with a backing-off idle strategy: on a
 * small machine its three dedicated threads would compete with the agents that move the data. Before it starts,
 * the directories of embedded drivers whose processes died without their shutdown are removed, see
 * {@link StaleDriverDirectories}.
 */
public final class AeronConnector implements AutoCloseable
{
    /**
     * A driver whose heartbeat is this old, and whose process is gone, left its directory behind.
     */
    static final long STALE_DRIVER_TIMEOUT_MS = 10_000;

    private final MediaDriver driver;
    private final Aeron aeron;

    private AeronConnector(final MediaDriver driver, final Aeron aeron)
    {
        this.driver = driver;
        this.aeron = aeron;
    }

    /**
     * Start (or join) the media driver and connect a client as the context describes.
     *
     * @param ctx what to connect to.
     * @return a connector that owns the client and, when embedded, the driver.
     */
    public static AeronConnector connect(final Context ctx)
    {
        MediaDriver driver = null;
        try
        {
            String directory = ctx.aeronDirectoryName();
            if (ctx.embeddedDriver())
            {
                if (null == directory)
                {
                    directory = TransportDefaults.tempAeronDirectory("stoker-" + UUID.randomUUID());
                }
                StaleDriverDirectories.sweep(new File(directory).getParentFile(), STALE_DRIVER_TIMEOUT_MS);
                driver = MediaDriver.launch(new MediaDriver.Context()
                    .aeronDirectoryName(directory)
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true)
                    .threadingMode(ctx.invoked() ? ThreadingMode.INVOKER : ThreadingMode.SHARED)
                    .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 200_000))
                    .termBufferSparseFile(true)
                    .performStorageChecks(false)
                    .ipcTermBufferLength(ctx.ipcTermLength())
                    .publicationTermBufferLength(ctx.udpTermLength())
                    .mtuLength(ctx.mtuLength())
                    .socketRcvbufLength(ctx.socketBufferLength())
                    .socketSndbufLength(ctx.socketBufferLength())
                    .initialWindowLength(ctx.socketBufferLength())
                    .errorHandler(ctx.errorHandler()));
            }
            else if (null == directory)
            {
                directory = io.aeron.CommonContext.getAeronDirectoryName();
            }

            final Aeron.Context aeronCtx = new Aeron.Context()
                .aeronDirectoryName(directory)
                .errorHandler(ctx.errorHandler());
            if (ctx.invoked())
            {
                aeronCtx.useConductorAgentInvoker(true);
                if (null != driver)
                {
                    aeronCtx.driverAgentInvoker(driver.sharedAgentInvoker());
                }
            }
            return new AeronConnector(driver, Aeron.connect(aeronCtx));
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(driver);
            throw ex;
        }
    }

    /**
     * @return the connected client.
     */
    public Aeron aeron()
    {
        return aeron;
    }

    /**
     * @return the directory of the media driver in use, where {@code stoker stat} finds the counters.
     */
    public String aeronDirectoryName()
    {
        return aeron.context().aeronDirectoryName();
    }

    /**
     * The duty cycle of this process's Aeron, when {@link Context#invoked(boolean)}: the embedded
     * driver's and the client conductor's work, to run on the thread of the process's one agent.
     *
     * @return an agent to composite with the process's agent.
     * @throws IllegalStateException when the connector was not made to be invoked.
     */
    public Agent invoker()
    {
        final AgentInvoker conductor = aeron.conductorAgentInvoker();
        if (null == conductor)
        {
            throw new IllegalStateException("this connector runs its own threads; ask for invoked(true)");
        }
        final AgentInvoker driverInvoker = null != driver ? driver.sharedAgentInvoker() : null;
        return new Agent()
        {
            @Override
            public int doWork()
            {
                return conductor.invoke() + (null != driverInvoker ? driverInvoker.invoke() : 0);
            }

            @Override
            public String roleName()
            {
                return "aeron";
            }
        };
    }

    /**
     * @return true when this process's Aeron runs through {@link #invoker()}.
     */
    public boolean isInvoked()
    {
        return null != aeron.conductorAgentInvoker();
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(aeron, driver);
    }

    /**
     * Where the media driver lives and how its embedded instance is sized. Defaults favour
     * throughput: 64 MiB terms, 64 KiB MTU, 4 MiB socket buffers and receiver window.
     */
    public static final class Context
    {
        private String aeronDirectoryName;
        private boolean embeddedDriver = true;
        private int ipcTermLength = TransportDefaults.IPC_TERM_LENGTH;
        private int udpTermLength = TransportDefaults.UDP_TERM_LENGTH;
        private int mtuLength = TransportDefaults.MTU_LENGTH;
        private int socketBufferLength = TransportDefaults.SOCKET_BUFFER_LENGTH;
        private ErrorHandler errorHandler = Throwable::printStackTrace;
        private boolean invoked;

        /**
         * @param name the media driver directory, or null for a fresh temporary one (embedded) or
         *             Aeron's default (external).
         * @return this for a fluent API.
         */
        public Context aeronDirectoryName(final String name)
        {
            aeronDirectoryName = name;
            return this;
        }

        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /**
         * @param embedded true to start a media driver inside this process, false to join a running one.
         * @return this for a fluent API.
         */
        public Context embeddedDriver(final boolean embedded)
        {
            embeddedDriver = embedded;
            return this;
        }

        public boolean embeddedDriver()
        {
            return embeddedDriver;
        }

        public Context ipcTermLength(final int length)
        {
            ipcTermLength = length;
            return this;
        }

        public int ipcTermLength()
        {
            return ipcTermLength;
        }

        public Context udpTermLength(final int length)
        {
            udpTermLength = length;
            return this;
        }

        public int udpTermLength()
        {
            return udpTermLength;
        }

        public Context mtuLength(final int length)
        {
            mtuLength = length;
            return this;
        }

        public int mtuLength()
        {
            return mtuLength;
        }

        public Context socketBufferLength(final int length)
        {
            socketBufferLength = length;
            return this;
        }

        public int socketBufferLength()
        {
            return socketBufferLength;
        }

        /**
         * @param invoked true to run the embedded driver and the client conductor on the caller's thread,
         *                through {@link #invoker()}: a process with one agent then needs one thread, not
         *                four, which matters more than anything on a small machine.
         * @return this for a fluent API.
         */
        public Context invoked(final boolean invoked)
        {
            this.invoked = invoked;
            return this;
        }

        public boolean invoked()
        {
            return invoked;
        }

        public Context errorHandler(final ErrorHandler handler)
        {
            errorHandler = handler;
            return this;
        }

        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }
    }
}
