package io.stoker.transport.rdma;

import io.stoker.disni.DisniLibrary;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.stream.Stream;

/**
 * Whether this process can use RDMA, and over which local address: DiSNI's JNI library loads (Stoker's
 * {@code libdisni.so} or the user's, from {@code java.library.path}), an RDMA device exists, and the
 * address belongs to one. Probe once at start-up; each role then uses the address, or logs the reason.
 *
 * @param address           the RDMA device's IP address, or null when none was given or found.
 * @param unavailableReason null when RDMA is usable, else one line naming what is missing.
 */
public record RdmaCapability(String address, String unavailableReason)
{
    private static final Path DEVICES = Path.of("/sys/class/infiniband");

    /**
     * @param requestedAddress the device address to use, or null for the first IPv4 address of the first
     *                         RDMA device's network interface.
     * @return what was found.
     */
    public static RdmaCapability probe(final String requestedAddress)
    {
        String problem;
        try
        {
            problem = DisniLibrary.load() ? null : DisniLibrary.unavailableReason();
        }
        catch (final LinkageError ex)
        {
            problem = "DiSNI is not on the class path: " + ex;
        }
        if (null != problem)
        {
            return new RdmaCapability(requestedAddress, problem);
        }

        final String address = null != requestedAddress ? requestedAddress : deviceAddress();
        if (null == address)
        {
            return new RdmaCapability(null, "no IPv4 address on the network interfaces of RDMA devices " +
                DisniLibrary.devices() + ": give the address of one");
        }
        try
        {
            RdmaDevice.open(new InetSocketAddress(address, 0)).close();
            return new RdmaCapability(address, null);
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            return new RdmaCapability(address, ex.getMessage());
        }
    }

    /**
     * @return true when RDMA can be used over {@link #address()}.
     */
    public boolean isAvailable()
    {
        return null == unavailableReason;
    }

    /**
     * @return the first IPv4 address of a network interface that carries an RDMA device (RoCE: the
     * port's GID table names it; InfiniBand: the device's own interface), or null.
     */
    static String deviceAddress()
    {
        for (final String name : deviceInterfaces())
        {
            try
            {
                final NetworkInterface network = NetworkInterface.getByName(name);
                if (null == network || !network.isUp())
                {
                    continue;
                }
                for (final Enumeration<InetAddress> addresses = network.getInetAddresses();
                    addresses.hasMoreElements();)
                {
                    final InetAddress address = addresses.nextElement();
                    if (address instanceof Inet4Address)
                    {
                        return address.getHostAddress();
                    }
                }
            }
            catch (final SocketException ignore)
            {
                // try the next interface
            }
        }
        return null;
    }

    private static List<String> deviceInterfaces()
    {
        final List<String> names = new ArrayList<>();
        for (final Path device : list(DEVICES))
        {
            for (final Path port : list(device.resolve("ports")))
            {
                try
                {
                    names.add(Files.readString(port.resolve("gid_attrs/ndevs/0")).trim());
                }
                catch (final IOException ignore)
                {
                    // not RoCE, or GID 0 unset
                }
            }
            list(device.resolve("device/net")).forEach(path -> names.add(path.getFileName().toString()));
        }
        return names;
    }

    private static List<Path> list(final Path directory)
    {
        try (Stream<Path> entries = Files.list(directory))
        {
            return entries.sorted().toList();
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }
}
