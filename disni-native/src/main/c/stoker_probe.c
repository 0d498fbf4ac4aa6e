/*
 * Stoker's own natives in libdisni: io.stoker.disni.DisniLibrary's device probe. A libdisni built
 * from DiSNI's sources lacks them; DisniLibrary then falls back to /sys/class/infiniband.
 */
#include "disni_common.h"
#include "io_stoker_disni_DisniLibrary.h"

#include <stdio.h>
#include <string.h>

#include <infiniband/verbs.h>

/*
 * The RDMA devices ibv_get_device_list() sees, as "name,name,..." ("" for none).
 * Throws IOException when the list cannot be read (e.g. ENOSYS: no kernel verbs support).
 */
JNIEXPORT jstring JNICALL Java_io_stoker_disni_DisniLibrary_ibvDeviceNames(JNIEnv *env, jclass cls)
{
	struct ibv_device **list;
	char names[1024];
	size_t used = 0;
	int n = 0, i;

	errno = 0;
	list = ibv_get_device_list(&n);
	if (list == NULL) {
		int err = errno ? errno : ENODEV;

		if (err == ENOSYS) /* libibverbs: no /sys/class/infiniband_verbs/abi_version */
			disni_throw(env, "no RDMA verbs support in the kernel: ibv_get_device_list failed with ENOSYS");
		else
			disni_throw_errno(env, "ibv_get_device_list", err, NULL);
		return NULL;
	}
	names[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *name = ibv_get_device_name(list[i]);
		int w;

		if (name == NULL)
			continue;
		w = snprintf(names + used, sizeof(names) - used, "%s%s", used ? "," : "", name);
		if (w < 0 || (size_t)w >= sizeof(names) - used)
			break;
		used += (size_t)w;
	}
	ibv_free_device_list(list);
	return (*env)->NewStringUTF(env, names);
}
