package io.stoker.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Names this machine for the data plane: two processes with the same host id can read each
 * other's files, so the worker maps them instead of going over the network.
 */
public final class HostIds
{
    private HostIds()
    {
    }

    /**
     * @return the systemd machine id where there is one, else the host name.
     */
    public static String local()
    {
        try
        {
            final Path machineId = Path.of("/etc/machine-id");
            if (Files.isReadable(machineId))
            {
                final String id = Files.readString(machineId).trim();
                if (!id.isEmpty())
                {
                    return id;
                }
            }
            return InetAddress.getLocalHost().getHostName();
        }
        catch (final IOException ex)
        {
            return "localhost";
        }
    }
}
