package io.stoker.transport.data;

import io.stoker.codecs.RegionAdvertisementDecoder;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * What a data server exports and how to reach it, as its region advertisements described it.
 * Servers that export the same region ids for the same dataset are replicas of each other.
 */
public final class ServerAdvertisement
{
    private final int serverId;
    private final Int2ObjectHashMap<Region> regions = new Int2ObjectHashMap<>();
    private String datasetId = "";
    private String hostId = "";
    private byte transports;
    private String udpChannel = "";
    private String rdmaEndpoint = "";

    /**
     * @param serverId the member id the coordinator gave the server.
     */
    public ServerAdvertisement(final int serverId)
    {
        this.serverId = serverId;
    }

    /**
     * Describe a server before advertising it.
     */
    public ServerAdvertisement(
        final int serverId,
        final String datasetId,
        final String hostId,
        final byte transports,
        final String udpChannel,
        final String rdmaEndpoint)
    {
        this.serverId = serverId;
        this.datasetId = datasetId;
        this.hostId = hostId;
        this.transports = transports;
        this.udpChannel = udpChannel;
        this.rdmaEndpoint = rdmaEndpoint;
    }

    /**
     * Merge one advertisement message: servers advertise their regions in batches.
     *
     * @param decoder a validated advertisement of this server.
     * @return this.
     */
    public ServerAdvertisement apply(final RegionAdvertisementDecoder decoder)
    {
        transports = (byte)decoder.transports().getRaw();
        for (final RegionAdvertisementDecoder.RegionsDecoder region : decoder.regions())
        {
            final int regionId = region.regionId();
            final long length = region.length();
            final long rdmaAddress = region.rdmaAddress();
            final int rdmaKey = region.rdmaKey();
            regions.put(regionId, new Region(regionId, length, region.path(), rdmaAddress, rdmaKey));
        }
        datasetId = decoder.datasetId();
        hostId = decoder.hostId();
        udpChannel = decoder.udpChannel();
        rdmaEndpoint = decoder.rdmaEndpoint();
        return this;
    }

    /**
     * Add or replace a region this server exports.
     */
    public ServerAdvertisement addRegion(final Region region)
    {
        regions.put(region.id(), region);
        return this;
    }

    public int serverId()
    {
        return serverId;
    }

    /**
     * @return the dataset whose shards the regions are.
     */
    public String datasetId()
    {
        return datasetId;
    }

    /**
     * @return identifies the server's machine: equal host ids mean the files are local.
     */
    public String hostId()
    {
        return hostId;
    }

    /**
     * @return the transports the server offers, as a {@link TransportKind} set.
     */
    public byte transports()
    {
        return transports;
    }

    public String udpChannel()
    {
        return udpChannel;
    }

    public String rdmaEndpoint()
    {
        return rdmaEndpoint;
    }

    /**
     * @param regionId a region id.
     * @return the region, or null if this server does not export it.
     */
    public Region region(final int regionId)
    {
        return regions.get(regionId);
    }

    /**
     * @return the regions, keyed by id. Do not modify.
     */
    public Int2ObjectHashMap<Region> regions()
    {
        return regions;
    }

    @Override
    public String toString()
    {
        return "server " + serverId + " on " + hostId + " (" + TransportKind.describe(transports) + ", " +
            regions.size() + " regions)";
    }

    /**
     * One exported region: a shard file, mapped read-only on the server.
     *
     * @param id          region id: the shard's index in the manifest.
     * @param length      bytes.
     * @param path        the file's absolute path on the server's host.
     * @param rdmaAddress remote address of the region's first byte for RDMA reads, 0 without RDMA.
     * @param rdmaKey     remote key for RDMA reads, 0 without RDMA.
     */
    public record Region(int id, long length, String path, long rdmaAddress, int rdmaKey)
    {
    }
}
