/*
 * Stoker's DiSNI-compatible JNI library: shared helpers.
 */
#include "disni_common.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void disni_throw(JNIEnv *env, const char *message)
{
	jclass cls;

	if ((*env)->ExceptionCheck(env))
		return; /* keep the first exception */
	cls = (*env)->FindClass(env, "java/io/IOException");
	if (cls != NULL)
		(*env)->ThrowNew(env, cls, message);
}

void disni_throw_errno(JNIEnv *env, const char *call, int err, const char *detail)
{
	char msg[512];
	char buf[128];
	const char *text = strerror_r(err, buf, sizeof(buf)); /* GNU variant: returns the text */

	snprintf(msg, sizeof(msg), "%s failed: %s (errno %d)%s", call, text, err, detail ? detail : "");
	disni_throw(env, msg);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int disni_wait_readable(int fd, int timeout_ms)
{
	struct pollfd p;
	long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int wait = timeout_ms;

	for (;;) {
		int n;

		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		n = poll(&p, 1, wait);
		if (n > 0) {
			if (p.revents & POLLIN)
				return 1;
			if (p.revents & POLLNVAL)
				return -EBADF;
			return -EIO;
		}
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
		if (timeout_ms > 0) {
			long long left = deadline - now_ms();

			if (left <= 0)
				return 0;
			wait = (int)left;
		}
	}
}
