#!/bin/bash
# Build the Soft-RoCE (rdma_rxe) lab guest once: ELF vmlinux + tiny initramfs + a debootstrap
# Debian root (rdma-core, perftest) that the guest mounts over 9p.
#
#   rdma-lab/build-guest.sh            # builds into rdma-lab/target/guest, or reuses it
#   GUEST_DIR=/elsewhere rdma-lab/build-guest.sh
#   REBUILD=1 rdma-lab/build-guest.sh  # throw the old build away first
#
# Idempotent: a finished build leaves target/guest/.built and is reused; a half-finished one
# (interrupted run) is thrown away and built again. Needs root (debootstrap, chroot, 9p
# passthrough); exits 2 without it. Installs qemu-system-x86 and debootstrap with apt if missing.
# Adapted from ../shared/rdma-lab/build.sh (see README.md there for why it is built this way).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${GUEST_DIR:-$HERE/target/guest}

if [ "$(id -u)" != 0 ]; then
  echo "build-guest.sh: needs root (debootstrap, chroot and QEMU's 9p passthrough of the guest root); run it as root" >&2
  exit 2
fi
if [ -f "$OUT/.built" ] && [ -z "${REBUILD:-}" ]; then
  echo "build-guest.sh: reusing $OUT ($(cat "$OUT/.built"))"
  exit 0
fi

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "build-guest.sh: installing qemu-system-x86 and debootstrap (apt)"
  apt-get install -y -q qemu-system-x86 debootstrap >/dev/null || {
    apt-get update -q >/dev/null && apt-get install -y -q qemu-system-x86 debootstrap >/dev/null; }
fi

T0=$(date +%s)
rm -rf "$OUT" "$OUT.partial"
W=$OUT.partial
mkdir -p "$W/debs"
cd "$W"
# the same Debian mirror that apt on this machine uses
MIRROR=${MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')   # e.g. linux-image-6.1.0-56-amd64
KVER=${KPKG#linux-image-}
echo "build-guest.sh: kernel $KVER, mirror $MIRROR"

# 1. kernel + busybox-static (downloaded, NOT installed on the host)
(cd debs && apt-get download "$KPKG" busybox-static 2>&1 | grep -v '^W:' || true)
dpkg-deb -x debs/"${KPKG}"_*.deb kernel
dpkg-deb -x debs/busybox-static_*.deb bb
# the bzImage decompressor is unusably slow under TCG: extract the ELF vmlinux (PVH entry) for qemu -kernel
python3 - "$W/kernel/boot/vmlinuz-$KVER" "$W/vmlinux" <<'EOF'
import lzma, sys
d = open(sys.argv[1], 'rb').read(); i = d.find(b'\xfd7zXZ\x00')
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(d[i:]))
EOF

# 2. guest root
debootstrap --variant=minbase \
  --include=rdma-core,ibverbs-providers,ibverbs-utils,perftest,rdmacm-utils,iproute2,kmod,procps \
  bookworm root "$MIRROR" > debootstrap.log

# 3. module subset (virtio, 9p, net, infiniband, crypto (crc32 for rxe's ICRC), lib) + depmod inside the root
S=kernel/lib/modules/$KVER; D=root/lib/modules/$KVER; mkdir -p "$D"
for dd in kernel/drivers/infiniband kernel/drivers/virtio kernel/drivers/net/virtio_net.ko kernel/drivers/net/net_failover.ko \
          kernel/net/core kernel/net/ipv4 kernel/net/ipv6 kernel/net/9p kernel/fs/9p kernel/fs/netfs kernel/fs/fscache \
          kernel/fs/configfs kernel/crypto kernel/arch/x86/crypto kernel/lib; do
  mkdir -p "$D/$(dirname $dd)"; cp -r "$S/$dd" "$D/$dd"
done
cp "$S"/modules.builtin* "$S/modules.order" "$D/"
chroot root depmod "$KVER"

# 4. initramfs: busybox + virtio/9p modules; mounts the 9p root and switch_roots
rm -rf initrd; mkdir -p initrd/{bin,dev,proc,sys,newroot,mods}; cp bb/bin/busybox initrd/bin/
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
  cp "$(find "$D" -name "$m.ko")" initrd/mods/; echo $m; done > initrd/mods/order
cat > initrd/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod /mods/$m.ko || echo "insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose rootfs /newroot || { echo "9p root mount failed"; exec sh; }
umount /proc /sys; mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /rdmalab-init.sh
EOF
chmod +x initrd/init
(cd initrd && find . | ../bb/bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz)

# 5. guest PID 1: network, rxe0, then /rdmalab/run.sh (from the share), then power off.
#    run-in-guest.sh parses the "GUEST: run.sh rc=N" line.
cat > root/rdmalab-init.sh <<'EOF'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp; mount -t tmpfs tmpfs /run
echo "GUEST: userspace up at $(cut -d' ' -f1 /proc/uptime)s"
hostname rdmaguest
modprobe virtio_net
ip link set lo up
ip link set eth0 up mtu 9000 && ip addr add 10.0.2.15/24 dev eth0
modprobe rdma_rxe && modprobe rdma_ucm
rdma link add rxe0 type rxe netdev eth0 && echo "GUEST: rxe0 added at $(cut -d' ' -f1 /proc/uptime)s"
if grep -q jdk /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null; then
  mkdir -p /opt/jdk && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro jdk /opt/jdk; fi
ulimit -l unlimited
if [ -x /rdmalab/run.sh ]; then (cd /rdmalab && /rdmalab/run.sh); echo "GUEST: run.sh rc=$?"; fi
if grep -q rdmalab.shell /proc/cmdline; then setsid sh -c 'exec bash </dev/ttyS0 >/dev/ttyS0 2>&1'; fi
echo "GUEST: done at $(cut -d' ' -f1 /proc/uptime)s"
sync; echo o > /proc/sysrq-trigger; sleep 5
EOF
chmod +x root/rdmalab-init.sh; mkdir -p root/rdmalab
# Debian's JDK keeps its configuration under /etc (symlinked from the JDK folder): give the guest a copy
for j in /etc/java-*-openjdk; do [ -d "$j" ] && cp -a "$j" root/etc/; done
if [ -f /etc/ssl/certs/java/cacerts ]; then mkdir -p root/etc/ssl/certs/java && cp -L /etc/ssl/certs/java/cacerts root/etc/ssl/certs/java/; fi

# the downloaded .debs and the unpacked kernel tree are not needed to boot
rm -rf debs kernel bb initrd
cd "$HERE"
mv "$W" "$OUT"
echo "kernel $KVER, built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - T0 )) s" > "$OUT/.built"
echo "build-guest.sh: built $KVER in $OUT in $(( $(date +%s) - T0 )) s"
