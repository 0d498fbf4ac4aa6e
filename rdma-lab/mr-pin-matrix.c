/*
 * Which mappings of a file can be registered as an RDMA memory region (IBV_ACCESS_REMOTE_READ)?
 * Run in the guest by disni-smoke.sh; built on the host by run-disni-smoke.sh:
 *   gcc -O2 -Wall -o mr-pin-matrix mr-pin-matrix.c -libverbs
 *   mr-pin-matrix FILE...      (each FILE is created, 8 MiB; e.g. one on tmpfs, one on disk)
 * On kernel 6.1 a read-only MAP_SHARED mapping fails with EFAULT: ib_umem_get pins for write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

static struct ibv_pd *pd;

static int try_reg(const char *file, const char *mapping, void *addr, size_t len)
{
	struct ibv_mr *mr;

	if (addr == MAP_FAILED) {
		printf("  %-22s %-42s mmap failed: %s\n", file, mapping, strerror(errno));
		return 1;
	}
	errno = 0;
	mr = ibv_reg_mr(pd, addr, len, IBV_ACCESS_REMOTE_READ);
	printf("  %-22s %-42s ibv_reg_mr(REMOTE_READ): %s\n", file, mapping, mr ? "OK" : strerror(errno));
	if (mr)
		ibv_dereg_mr(mr);
	munmap(addr, len);
	return mr == NULL;
}

int main(int argc, char **argv)
{
	const size_t len = 8 << 20;
	struct ibv_device **devices;
	struct ibv_context *ctx;
	int n = 0, a;

	devices = ibv_get_device_list(&n);
	if (devices == NULL || n == 0 || (ctx = ibv_open_device(devices[0])) == NULL || (pd = ibv_alloc_pd(ctx)) == NULL) {
		fprintf(stderr, "mr-pin-matrix: no usable RDMA device\n");
		return 2;
	}
	for (a = 1; a < argc; a++) {
		const char *f = argv[a];
		int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
		char block[4096];
		size_t off;

		memset(block, 0x5a, sizeof(block));
		for (off = 0; fd >= 0 && off < len; off += sizeof(block))
			if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
				break;
		if (fd < 0) {
			fprintf(stderr, "mr-pin-matrix: %s: %s\n", f, strerror(errno));
			return 2;
		}
		close(fd);
		fd = open(f, O_RDONLY);
		try_reg(f, "MAP_SHARED PROT_READ (O_RDONLY)", mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0), len);
		try_reg(f, "MAP_PRIVATE PROT_READ (O_RDONLY)", mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0), len);
		close(fd);
		fd = open(f, O_RDWR);
		try_reg(f, "MAP_SHARED PROT_READ|PROT_WRITE (O_RDWR)", mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), len);
		close(fd);
		unlink(f);
	}
	try_reg("(anonymous)", "MAP_PRIVATE|MAP_ANONYMOUS PROT_READ",
		mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), len);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(devices);
	return 0;
}
