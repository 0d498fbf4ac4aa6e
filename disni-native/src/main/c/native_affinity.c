/*
 * Stoker's DiSNI-compatible JNI library: com.ibm.disni.util.NativeAffinity (DiSNI 2.1), used by
 * RdmaCqProcessor.run() to pin its thread when a group is given an affinity mask > 0. It loads
 * the same "disni" library, so libdisni must provide these two as well.
 */
#include "disni_common.h"
#include "com_ibm_disni_util_NativeAffinity.h"

#include <sched.h>

/* mask: bit i = CPU i (the first 64 CPUs), applied to the calling thread; 0 leaves it alone */
JNIEXPORT void JNICALL Java_com_ibm_disni_util_NativeAffinity__1setAffinity(JNIEnv *env, jclass cls, jlong mask)
{
	cpu_set_t set;
	int cpu;

	if (mask == 0)
		return;
	CPU_ZERO(&set);
	for (cpu = 0; cpu < 64; cpu++)
		if ((unsigned long long)mask & (1ULL << cpu))
			CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

JNIEXPORT jlong JNICALL Java_com_ibm_disni_util_NativeAffinity__1getAffinity(JNIEnv *env, jclass cls)
{
	cpu_set_t set;
	unsigned long long mask = 0;
	int cpu;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (cpu = 0; cpu < 64; cpu++)
		if (CPU_ISSET(cpu, &set))
			mask |= 1ULL << cpu;
	return (jlong)mask;
}
