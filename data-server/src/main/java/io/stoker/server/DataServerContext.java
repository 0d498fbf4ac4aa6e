package io.stoker.server;

import io.aeron.Aeron;
import io.stoker.dataset.Manifest;
import io.stoker.transport.HostIds;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.status.StatusCounters;
import io.stoker.transport.data.RegionServer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Configuration of a {@link DataServerAgent}, with its defaults in one place.
 */
public final class DataServerContext
{
    private Aeron aeron;
    private Path datasetDirectory;
    private Manifest manifest;
    private String hostId;
    private String coordinatorChannel = ControlProtocol.IPC_CHANNEL;
    private String responseChannel = ControlProtocol.IPC_CHANNEL;
    private int responseStreamId;
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private ErrorHandler errorHandler = Throwable::printStackTrace;
    private JobToken jobToken;
    private StatusCounters counters;
    private Consumer<String> logger = System.err::println;
    private final List<Function<DataServerContext, RegionServer>> regionServers = new ArrayList<>();

    /**
     * Check the configuration and fill in what derives from it.
     *
     * @return this.
     * @throws IllegalStateException naming what is missing.
     */
    public DataServerContext conclude()
    {
        if (null == aeron)
        {
            throw new IllegalStateException("data server needs a connected Aeron client");
        }
        if (null == manifest || null == datasetDirectory)
        {
            throw new IllegalStateException("data server needs a dataset directory and its manifest");
        }
        if (null == hostId)
        {
            hostId = HostIds.local();
        }
        if (0 == responseStreamId)
        {
            responseStreamId = ControlProtocol.responseStreamId(aeron, responseChannel);
        }
        return this;
    }

    public Aeron aeron()
    {
        return aeron;
    }

    public DataServerContext aeron(final Aeron aeron)
    {
        this.aeron = aeron;
        return this;
    }

    public Path datasetDirectory()
    {
        return datasetDirectory;
    }

    /**
     * @param directory where the manifest's shard paths are relative to.
     * @return this.
     */
    public DataServerContext datasetDirectory(final Path directory)
    {
        this.datasetDirectory = directory;
        return this;
    }

    public Manifest manifest()
    {
        return manifest;
    }

    public DataServerContext manifest(final Manifest manifest)
    {
        this.manifest = manifest;
        return this;
    }

    public String hostId()
    {
        return hostId;
    }

    public DataServerContext hostId(final String hostId)
    {
        this.hostId = hostId;
        return this;
    }

    public String coordinatorChannel()
    {
        return coordinatorChannel;
    }

    public DataServerContext coordinatorChannel(final String channel)
    {
        this.coordinatorChannel = channel;
        return this;
    }

    public String responseChannel()
    {
        return responseChannel;
    }

    public DataServerContext responseChannel(final String channel)
    {
        this.responseChannel = channel;
        return this;
    }

    public int responseStreamId()
    {
        return responseStreamId;
    }

    public DataServerContext responseStreamId(final int streamId)
    {
        this.responseStreamId = streamId;
        return this;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    public DataServerContext nanoClock(final NanoClock clock)
    {
        this.nanoClock = clock;
        return this;
    }

    /**
     * @return the job token this member proves to the coordinator, or null when it asks for none.
     */
    public JobToken jobToken()
    {
        return jobToken;
    }

    public DataServerContext jobToken(final JobToken token)
    {
        this.jobToken = token;
        return this;
    }

    /**
     * @return the component's counters once its agent allocated them, for the transports it makes.
     */
    public StatusCounters counters()
    {
        return counters;
    }

    DataServerContext counters(final StatusCounters counters)
    {
        this.counters = counters;
        return this;
    }

    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    public DataServerContext errorHandler(final ErrorHandler handler)
    {
        this.errorHandler = handler;
        return this;
    }

    /**
     * Serve the regions over another transport too, made when the server starts. Same-host reads
     * need nothing here: they are always offered.
     *
     * @return this.
     */
    public DataServerContext addRegionServer(final Function<DataServerContext, RegionServer> factory)
    {
        regionServers.add(factory);
        return this;
    }

    List<Function<DataServerContext, RegionServer>> regionServers()
    {
        return regionServers;
    }

    public Consumer<String> logger()
    {
        return logger;
    }

    public DataServerContext logger(final Consumer<String> logger)
    {
        this.logger = logger;
        return this;
    }
}
