package io.stoker.launcher.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A network namespace joined to the host by a veth pair (host side {@code 10.231.N.1/24}, inside
 * {@code 10.231.N.2/24}): a process started in it reaches the host's addresses only over that link, which can be taken
 * down and up, as a network partition of that one process. Needs root and {@code ip netns}.
 */
final class NetworkNamespace implements AutoCloseable
{
    private final String name;
    private final String hostLink;
    private final String innerLink;
    private final int subnet;

    private NetworkNamespace(final int subnet)
    {
        this.subnet = subnet;
        this.name = "stoker-" + ProcessHandle.current().pid() + "-" + subnet;
        this.hostLink = "sfh" + subnet + "x" + ProcessHandle.current().pid() % 10000;
        this.innerLink = "sfw" + subnet + "x" + ProcessHandle.current().pid() % 10000;
    }

    /**
     * @return why a namespace cannot be made here, or null when it can.
     */
    static String unavailableReason()
    {
        final NetworkNamespace probe = new NetworkNamespace(254);
        try
        {
            final String error = run("ip", "netns", "add", probe.name);
            if (null != error)
            {
                return "ip netns is unavailable here: " + error;
            }
            return run("ip", "netns", "del", probe.name);
        }
        catch (final IOException ex)
        {
            return "ip netns is unavailable here: " + ex.getMessage();
        }
    }

    /**
     * Make the namespace and its link, both up.
     *
     * @param subnet N of 10.231.N.0/24, 1 to 253.
     */
    static NetworkNamespace create(final int subnet) throws IOException
    {
        final NetworkNamespace namespace = new NetworkNamespace(subnet);
        namespace.check(run("ip", "netns", "add", namespace.name));
        namespace.check(run("ip", "link", "add", namespace.hostLink, "type", "veth", "peer", "name",
            namespace.innerLink));
        namespace.check(run("ip", "link", "set", namespace.innerLink, "netns", namespace.name));
        namespace.check(run("ip", "addr", "add", namespace.hostAddress() + "/24", "dev", namespace.hostLink));
        namespace.check(run("ip", "link", "set", namespace.hostLink, "up"));
        namespace.check(run(namespace.in("ip", "addr", "add", namespace.innerAddress() + "/24", "dev",
            namespace.innerLink)));
        namespace.check(run(namespace.in("ip", "link", "set", namespace.innerLink, "up")));
        namespace.check(run(namespace.in("ip", "link", "set", "lo", "up")));
        return namespace;
    }

    /**
     * @return the host's address on the link, which the namespace reaches.
     */
    String hostAddress()
    {
        return "10.231." + subnet + ".1";
    }

    /**
     * @return the address inside the namespace.
     */
    String innerAddress()
    {
        return "10.231." + subnet + ".2";
    }

    /**
     * @return the wrapper that runs a command inside the namespace (it execs the command).
     */
    List<String> exec()
    {
        return List.of("ip", "netns", "exec", name);
    }

    /**
     * Take the link down (true) or bring it back up (false).
     */
    void partition(final boolean down) throws IOException
    {
        check(run("ip", "link", "set", hostLink, down ? "down" : "up"));
        check(run(in("ip", "link", "set", innerLink, down ? "down" : "up")));
    }

    @Override
    public void close() throws IOException
    {
        run("ip", "link", "del", hostLink);
        run("ip", "netns", "del", name);
    }

    private String[] in(final String... command)
    {
        final List<String> wrapped = new ArrayList<>(exec());
        wrapped.addAll(List.of(command));
        return wrapped.toArray(String[]::new);
    }

    private void check(final String error) throws IOException
    {
        if (null != error)
        {
            close();
            throw new IOException(error);
        }
    }

    /**
     * @return null when the command exited 0, else what it said.
     */
    private static String run(final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return 0 == process.waitFor() ? null : String.join(" ", command) + ": " + output;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException(ex);
        }
    }
}
