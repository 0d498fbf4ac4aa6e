/*
 * Stoker's DiSNI-compatible JNI library: shared helpers.
 *
 * Object handles: every native object (event channel, cm id, context, pd, cq, comp channel, qp, mr)
 * crosses into Java as its C pointer in a jlong. DiSNI's Java side treats a handle >= 0 as valid
 * (user-space pointers on x86-64 and aarch64 are below 2^47, so always positive) and 0 / negative as
 * "no object".
 */
#ifndef STOKER_DISNI_COMMON_H
#define STOKER_DISNI_COMMON_H

#include <errno.h>
#include <jni.h>
#include <stdint.h>

#define DISNI_PTR(type, handle) ((type *)(uintptr_t)(handle))
#define DISNI_HANDLE(ptr) ((jlong)(uintptr_t)(ptr))

/* Throws java.io.IOException("<call> failed: <strerror(err)> (errno <err>)<detail>"). */
void disni_throw_errno(JNIEnv *env, const char *call, int err, const char *detail);

/* Throws java.io.IOException(message). */
void disni_throw(JNIEnv *env, const char *message);

/*
 * Errno of a failed verbs call. libibverbs and its providers report failure in three ways:
 * a positive errno as the return value (ibv_post_send, ibv_dealloc_pd, ...), -1 with errno set,
 * or a negative errno. Returns a positive errno.
 */
static inline int disni_verbs_errno(int ret)
{
	if (ret > 0)
		return ret;
	if (ret == -1)
		return errno ? errno : EIO;
	return -ret;
}

/*
 * Waits until fd is readable. timeout_ms < 0 waits forever, 0 only checks.
 * Returns 1 when readable, 0 on timeout, -errno on error. Retries on EINTR with the time left.
 */
int disni_wait_readable(int fd, int timeout_ms);

#endif
