/*
 * Stoker's DiSNI-compatible JNI library: the 48 natives of com.ibm.disni.verbs.impl.NativeDispatcher
 * (DiSNI 2.1), written against rdma-core's libibverbs and librdmacm.
 *
 * The contract, as DiSNI 2.1's Java side uses it (learnt from its classes, not from DiSNI's C):
 *
 * - Version: NativeDispatcher's constructor throws "jverbs outdated" unless _getVersion() returns
 *   its JVERBS_VERSION, 32.
 * - Sizes and offsets: the constructor compares _getSockAddrInSize, _getIbvRecvWRSize,
 *   _getIbvSendWRSize, _getIbvSgeSize, _getIbvWCSize, _getRemoteAddressOffset and _getRKeyOffset
 *   with its own constants (28, 32, 72, 16, 48, 40, 48) and, on a mismatch, logs and switches its
 *   buffer layout to the native numbers. This library reports exactly DiSNI's numbers, so its Java
 *   layout is the one in use, and translates where rdma-core's structs differ:
 *     ibv_recv_wr (32), ibv_sge (16), ibv_wc (48): identical to rdma-core, passed through as is.
 *     ibv_send_wr: DiSNI lays out 72 bytes (the libibverbs 1.1 struct); rdma-core's struct is 128
 *       bytes (xrc, bind_mw/tso unions were added after wr). The first 72 bytes are identical, so
 *       _postSend copies each 72-byte Java work request into a zeroed 128-byte ibv_send_wr and
 *       relinks the chain; scatter/gather lists are used in place.
 *     sockaddr: DiSNI allocates 28 bytes (sizeof(struct sockaddr_in6)) for addresses; the natives
 *       read/write struct sockaddr_in (family, port, address in network byte order) in it, and
 *       _getSrcAddr/_getDstAddr copy at most 28 bytes.
 *   The static assertions below pin all of this against the rdma-core headers it is built with.
 * - Handles: every object is its C pointer as a jlong (see disni_common.h).
 * - Errors: natives declared "throws IOException" throw one with the failing call and errno, except
 *   where DiSNI's Java tests a sentinel instead: _createEventChannel returns -1 (RdmaCmNat turns it
 *   into a null channel, RdmaCmProcessor into "No RDMA device configured!"), _getContext returns -1
 *   for an id not yet bound to a device, _getCmEvent/_getCqEvent return -1 on timeout. Natives
 *   returning int without "throws" return 0 or a negative errno.
 * - Events: _getCmEvent waits up to timeout ms (negative: forever) on the channel's fd, takes one
 *   event, writes the listen id and the event's id as 8-byte handles to the two addresses, acks
 *   the event at once (so that rdma_destroy_id never waits on an event Java still holds) and
 *   returns the event type (enum rdma_cm_event_type, the ordinal of DiSNI's EventType).
 *   _ackCmEvent is therefore a no-op. _getCqEvent waits on the completion channel the same way and
 *   takes one CQ event; Java acks it with _ackCqEvent(cq, n) (it must before destroying the CQ).
 * - Connection parameters: DiSNI 2.1 passes only retry counts and private data; responder
 *   resources and initiator depth are left to librdmacm's maximum (RDMA_MAX_RESP_RES /
 *   RDMA_MAX_INIT_DEPTH), which negotiates the device limits, so that RDMA READs can be
 *   outstanding. _createQP gets no SGE limits from DiSNI 2.1: max_send_sge and max_recv_sge are
 *   min(device max_sge, DISNI_QP_MAX_SGE).
 */
#include "disni_common.h"
#include "com_ibm_disni_verbs_impl_NativeDispatcher.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#define DISNI_JVERBS_VERSION 32

/* DiSNI 2.1's Java layout (NatIbvSendWR, NatIbvRecvWR, NatIbvSge, IbvWC, SockAddrIn) */
#define DISNI_SEND_WR_SIZE 72
#define DISNI_RECV_WR_SIZE 32
#define DISNI_SGE_SIZE 16
#define DISNI_WC_SIZE 48
#define DISNI_SOCKADDR_SIZE 28
#define DISNI_REMOTE_ADDR_OFFSET 40
#define DISNI_RKEY_OFFSET 48

#define DISNI_QP_MAX_SGE 4
#define DISNI_STACK_SEND_WRS 32
#define DISNI_MAX_CHAIN 65536

/* --- layout checks against the rdma-core headers ------------------------------------------ */
/* NatIbvSendWR.writeBack: wr_id, next, sg_list, num_sge, opcode, send_flags, imm_data, rdma */
_Static_assert(offsetof(struct ibv_send_wr, wr_id) == 0, "send_wr.wr_id");
_Static_assert(offsetof(struct ibv_send_wr, next) == 8, "send_wr.next");
_Static_assert(offsetof(struct ibv_send_wr, sg_list) == 16, "send_wr.sg_list");
_Static_assert(offsetof(struct ibv_send_wr, num_sge) == 24, "send_wr.num_sge");
_Static_assert(offsetof(struct ibv_send_wr, opcode) == 28, "send_wr.opcode");
_Static_assert(sizeof(enum ibv_wr_opcode) == 4, "send_wr.opcode size");
_Static_assert(offsetof(struct ibv_send_wr, send_flags) == 32, "send_wr.send_flags");
_Static_assert(offsetof(struct ibv_send_wr, imm_data) == 36, "send_wr.imm_data");
_Static_assert(offsetof(struct ibv_send_wr, wr.rdma.remote_addr) == DISNI_REMOTE_ADDR_OFFSET, "send_wr.wr.rdma.remote_addr");
_Static_assert(offsetof(struct ibv_send_wr, wr.rdma.rkey) == DISNI_RKEY_OFFSET, "send_wr.wr.rdma.rkey");
_Static_assert(offsetof(struct ibv_send_wr, wr.atomic.rkey) + 4 <= DISNI_SEND_WR_SIZE, "send_wr.wr fits in 72");
_Static_assert(sizeof(struct ibv_send_wr) >= DISNI_SEND_WR_SIZE, "send_wr size");
_Static_assert(offsetof(struct ibv_send_wr, qp_type) >= DISNI_SEND_WR_SIZE, "fields after wr start at 72");
/* NatIbvRecvWR.writeBack: wr_id, next, sg_list, num_sge */
_Static_assert(sizeof(struct ibv_recv_wr) == DISNI_RECV_WR_SIZE, "recv_wr size");
_Static_assert(offsetof(struct ibv_recv_wr, next) == 8, "recv_wr.next");
_Static_assert(offsetof(struct ibv_recv_wr, sg_list) == 16, "recv_wr.sg_list");
_Static_assert(offsetof(struct ibv_recv_wr, num_sge) == 24, "recv_wr.num_sge");
/* NatIbvSge.writeBack: addr, length, lkey */
_Static_assert(sizeof(struct ibv_sge) == DISNI_SGE_SIZE, "sge size");
_Static_assert(offsetof(struct ibv_sge, length) == 8, "sge.length");
_Static_assert(offsetof(struct ibv_sge, lkey) == 12, "sge.lkey");
/* NatPollCqCall.update: wr_id, status, opcode, vendor_err, byte_len, imm_data, qp_num, src_qp,
 * wc_flags, pkey_index, slid, sl, dlid_path_bits */
_Static_assert(sizeof(struct ibv_wc) == DISNI_WC_SIZE, "wc size");
_Static_assert(offsetof(struct ibv_wc, status) == 8 && sizeof(enum ibv_wc_status) == 4, "wc.status");
_Static_assert(offsetof(struct ibv_wc, opcode) == 12 && sizeof(enum ibv_wc_opcode) == 4, "wc.opcode");
_Static_assert(offsetof(struct ibv_wc, vendor_err) == 16, "wc.vendor_err");
_Static_assert(offsetof(struct ibv_wc, byte_len) == 20, "wc.byte_len");
_Static_assert(offsetof(struct ibv_wc, imm_data) == 24, "wc.imm_data");
_Static_assert(offsetof(struct ibv_wc, qp_num) == 28, "wc.qp_num");
_Static_assert(offsetof(struct ibv_wc, src_qp) == 32, "wc.src_qp");
_Static_assert(offsetof(struct ibv_wc, wc_flags) == 36, "wc.wc_flags");
_Static_assert(offsetof(struct ibv_wc, pkey_index) == 40, "wc.pkey_index");
_Static_assert(offsetof(struct ibv_wc, slid) == 42, "wc.slid");
_Static_assert(offsetof(struct ibv_wc, sl) == 44, "wc.sl");
_Static_assert(offsetof(struct ibv_wc, dlid_path_bits) == 45, "wc.dlid_path_bits");
/* SockAddrIn.writeBack/update: family (2), port (2), address (4) */
_Static_assert(sizeof(struct sockaddr_in6) == DISNI_SOCKADDR_SIZE, "sockaddr buffer");
_Static_assert(offsetof(struct sockaddr_in, sin_port) == 2 && offsetof(struct sockaddr_in, sin_addr) == 4, "sockaddr_in");
/* enums whose values DiSNI hard-codes (IbvSendWR, IbvWC, IbvMr, RdmaCm, RdmaCmEvent, IbvQP) */
_Static_assert(IBV_WR_RDMA_WRITE == 0 && IBV_WR_SEND == 2 && IBV_WR_RDMA_READ == 4 && IBV_WR_ATOMIC_FETCH_AND_ADD == 6, "wr opcodes");
_Static_assert(IBV_SEND_FENCE == 1 && IBV_SEND_SIGNALED == 2 && IBV_SEND_SOLICITED == 4 && IBV_SEND_INLINE == 8, "send flags");
_Static_assert(IBV_WC_SUCCESS == 0 && IBV_WC_REM_ACCESS_ERR == 10 && IBV_WC_GENERAL_ERR == 21, "wc status");
_Static_assert(IBV_WC_RDMA_READ == 2 && IBV_WC_RECV == 128, "wc opcodes");
_Static_assert(IBV_ACCESS_LOCAL_WRITE == 1 && IBV_ACCESS_REMOTE_WRITE == 2 && IBV_ACCESS_REMOTE_READ == 4 && IBV_ACCESS_ON_DEMAND == 64, "access flags");
_Static_assert(RDMA_PS_TCP == 262 && RDMA_PS_UDP == 273 && RDMA_PS_IPOIB == 2, "port spaces");
_Static_assert(RDMA_CM_EVENT_CONNECT_REQUEST == 4 && RDMA_CM_EVENT_ESTABLISHED == 9 && RDMA_CM_EVENT_TIMEWAIT_EXIT == 15, "cm events");
_Static_assert(IBV_QPT_RC == 2 && IBV_QPT_UD == 4, "qp types");
_Static_assert(IBV_ODP_SUPPORT_SEND == 1 && IBV_ODP_SUPPORT_READ == 8 && IBV_ODP_SUPPORT_ATOMIC == 16, "odp caps");

#define REQUIRE_OR_THROW(handle, what, retval)                                     \
	do {                                                                       \
		if ((handle) == 0) {                                               \
			disni_throw(env, "DiSNI native: null " what " handle");   \
			return retval;                                             \
		}                                                                  \
	} while (0)

#define REQUIRE_OR_EINVAL(handle)          \
	do {                               \
		if ((handle) == 0)         \
			return -EINVAL;    \
	} while (0)

/* ---- rdma_cm ---------------------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1createEventChannel(JNIEnv *env, jobject self)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();

	return ch ? DISNI_HANDLE(ch) : -1; /* DiSNI: objId < 0 -> null channel ("No RDMA device configured!") */
}

JNIEXPORT jlong JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1createId(JNIEnv *env, jobject self, jlong channel, jshort ps)
{
	struct rdma_cm_id *id = NULL;

	REQUIRE_OR_THROW(channel, "event channel", -1);
	if (rdma_create_id(DISNI_PTR(struct rdma_event_channel, channel), &id, NULL, (enum rdma_port_space)(unsigned short)ps)) {
		disni_throw_errno(env, "rdma_create_id", errno, NULL);
		return -1;
	}
	return DISNI_HANDLE(id);
}

static int qp_max_sge(struct ibv_context *ctx)
{
	struct ibv_device_attr attr;

	if (ctx == NULL || ibv_query_device(ctx, &attr) != 0 || attr.max_sge <= 0)
		return 1;
	return attr.max_sge < DISNI_QP_MAX_SGE ? attr.max_sge : DISNI_QP_MAX_SGE;
}

JNIEXPORT jlong JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1createQP(JNIEnv *env, jobject self, jlong id_h, jlong pd_h,
	jlong send_cq, jlong recv_cq, jint qp_type, jint max_send_wr, jint max_recv_wr, jint max_inline_data)
{
	struct rdma_cm_id *id = DISNI_PTR(struct rdma_cm_id, id_h);
	struct ibv_qp_init_attr attr;
	int sge;

	REQUIRE_OR_THROW(id_h, "cm id", -1);
	REQUIRE_OR_THROW(pd_h, "protection domain", -1);
	sge = qp_max_sge(id->verbs);
	memset(&attr, 0, sizeof(attr));
	attr.send_cq = DISNI_PTR(struct ibv_cq, send_cq);
	attr.recv_cq = DISNI_PTR(struct ibv_cq, recv_cq);
	attr.qp_type = (enum ibv_qp_type)qp_type;
	attr.cap.max_send_wr = (uint32_t)max_send_wr;
	attr.cap.max_recv_wr = (uint32_t)max_recv_wr;
	attr.cap.max_send_sge = (uint32_t)sge;
	attr.cap.max_recv_sge = (uint32_t)sge;
	attr.cap.max_inline_data = (uint32_t)max_inline_data;
	attr.sq_sig_all = 0;
	if (rdma_create_qp(id, DISNI_PTR(struct ibv_pd, pd_h), &attr)) {
		disni_throw_errno(env, "rdma_create_qp", errno, NULL);
		return -1;
	}
	return DISNI_HANDLE(id->qp);
}

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1bindAddr(JNIEnv *env, jobject self, jlong id, jlong addr)
{
	REQUIRE_OR_THROW(id, "cm id", );
	REQUIRE_OR_THROW(addr, "address", );
	if (rdma_bind_addr(DISNI_PTR(struct rdma_cm_id, id), DISNI_PTR(struct sockaddr, addr)))
		disni_throw_errno(env, "rdma_bind_addr", errno, NULL);
}

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1listen(JNIEnv *env, jobject self, jlong id, jint backlog)
{
	REQUIRE_OR_THROW(id, "cm id", );
	if (rdma_listen(DISNI_PTR(struct rdma_cm_id, id), backlog))
		disni_throw_errno(env, "rdma_listen", errno, NULL);
}

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1resolveAddr(JNIEnv *env, jobject self, jlong id, jlong src,
	jlong dst, jint timeout)
{
	REQUIRE_OR_THROW(id, "cm id", );
	REQUIRE_OR_THROW(dst, "destination address", );
	if (rdma_resolve_addr(DISNI_PTR(struct rdma_cm_id, id), DISNI_PTR(struct sockaddr, src), DISNI_PTR(struct sockaddr, dst), timeout))
		disni_throw_errno(env, "rdma_resolve_addr", errno, NULL);
}

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1resolveRoute(JNIEnv *env, jobject self, jlong id, jint timeout)
{
	REQUIRE_OR_THROW(id, "cm id", );
	if (rdma_resolve_route(DISNI_PTR(struct rdma_cm_id, id), timeout))
		disni_throw_errno(env, "rdma_resolve_route", errno, NULL);
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getCmEvent(JNIEnv *env, jobject self, jlong channel,
	jlong listen_id_out, jlong id_out, jint timeout)
{
	struct rdma_event_channel *ch = DISNI_PTR(struct rdma_event_channel, channel);
	struct rdma_cm_event *event;
	jlong listen_id, id;
	int type, ready;

	REQUIRE_OR_EINVAL(channel);
	ready = disni_wait_readable(ch->fd, timeout);
	if (ready <= 0)
		return -1; /* timeout (or a closed channel): RdmaCmNat returns a null event */
	if (rdma_get_cm_event(ch, &event))
		return -1;
	listen_id = DISNI_HANDLE(event->listen_id);
	id = DISNI_HANDLE(event->id);
	type = (int)event->event;
	if (listen_id_out)
		memcpy(DISNI_PTR(void, listen_id_out), &listen_id, sizeof(listen_id));
	if (id_out)
		memcpy(DISNI_PTR(void, id_out), &id, sizeof(id));
	rdma_ack_cm_event(event);
	return type;
}

static void conn_param_init(struct rdma_conn_param *p, jint retry_count, jint rnr_retry_count)
{
	memset(p, 0, sizeof(*p));
	p->responder_resources = RDMA_MAX_RESP_RES;
	p->initiator_depth = RDMA_MAX_INIT_DEPTH;
	p->retry_count = (uint8_t)retry_count;
	p->rnr_retry_count = (uint8_t)rnr_retry_count;
}

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1connect(JNIEnv *env, jobject self, jlong id, jint retry_count,
	jint rnr_retry_count, jlong private_data, jbyte private_data_len)
{
	struct rdma_conn_param param;

	REQUIRE_OR_THROW(id, "cm id", );
	conn_param_init(&param, retry_count, rnr_retry_count);
	if (private_data != 0 && private_data_len != 0) {
		param.private_data = DISNI_PTR(const void, private_data);
		param.private_data_len = (uint8_t)private_data_len;
	}
	if (rdma_connect(DISNI_PTR(struct rdma_cm_id, id), &param))
		disni_throw_errno(env, "rdma_connect", errno, NULL);
}

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1accept(JNIEnv *env, jobject self, jlong id, jint retry_count,
	jint rnr_retry_count)
{
	struct rdma_conn_param param;

	REQUIRE_OR_THROW(id, "cm id", );
	conn_param_init(&param, retry_count, rnr_retry_count);
	if (rdma_accept(DISNI_PTR(struct rdma_cm_id, id), &param))
		disni_throw_errno(env, "rdma_accept", errno, NULL);
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1ackCmEvent(JNIEnv *env, jobject self, jint event_type)
{
	return 0; /* _getCmEvent acked the event already; Java passes only the event type */
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1disconnect(JNIEnv *env, jobject self, jlong id)
{
	REQUIRE_OR_EINVAL(id);
	return rdma_disconnect(DISNI_PTR(struct rdma_cm_id, id)) ? -errno : 0;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1destroyEventChannel(JNIEnv *env, jobject self, jlong channel)
{
	REQUIRE_OR_EINVAL(channel);
	rdma_destroy_event_channel(DISNI_PTR(struct rdma_event_channel, channel));
	return 0;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1destroyCmId(JNIEnv *env, jobject self, jlong id)
{
	REQUIRE_OR_EINVAL(id);
	return rdma_destroy_id(DISNI_PTR(struct rdma_cm_id, id)) ? -errno : 0;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1destroyQP(JNIEnv *env, jobject self, jlong id)
{
	REQUIRE_OR_EINVAL(id);
	rdma_destroy_qp(DISNI_PTR(struct rdma_cm_id, id)); /* takes the cm id, not the qp */
	return 0;
}

static jint copy_sockaddr(const struct sockaddr *sa, jlong out)
{
	size_t len;

	if (sa == NULL || out == 0)
		return -EINVAL;
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	memcpy(DISNI_PTR(void, out), sa, len); /* DiSNI's buffer holds DISNI_SOCKADDR_SIZE bytes */
	return 0;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getSrcAddr(JNIEnv *env, jobject self, jlong id, jlong out)
{
	REQUIRE_OR_EINVAL(id);
	return copy_sockaddr(rdma_get_local_addr(DISNI_PTR(struct rdma_cm_id, id)), out);
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getDstAddr(JNIEnv *env, jobject self, jlong id, jlong out)
{
	REQUIRE_OR_EINVAL(id);
	return copy_sockaddr(rdma_get_peer_addr(DISNI_PTR(struct rdma_cm_id, id)), out);
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1destroyEp(JNIEnv *env, jobject self, jlong id)
{
	REQUIRE_OR_EINVAL(id);
	rdma_destroy_ep(DISNI_PTR(struct rdma_cm_id, id)); /* qp (if any), then the id */
	return 0;
}

/* ---- verbs: resources --------------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1allocPd(JNIEnv *env, jobject self, jlong context)
{
	struct ibv_pd *pd;

	REQUIRE_OR_THROW(context, "context", -1);
	pd = ibv_alloc_pd(DISNI_PTR(struct ibv_context, context));
	if (pd == NULL) {
		disni_throw_errno(env, "ibv_alloc_pd", errno ? errno : ENOMEM, NULL);
		return -1;
	}
	return DISNI_HANDLE(pd);
}

JNIEXPORT jlong JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1createCompChannel(JNIEnv *env, jobject self, jlong context)
{
	struct ibv_comp_channel *ch;

	REQUIRE_OR_THROW(context, "context", -1);
	ch = ibv_create_comp_channel(DISNI_PTR(struct ibv_context, context));
	if (ch == NULL) {
		disni_throw_errno(env, "ibv_create_comp_channel", errno ? errno : ENOMEM, NULL);
		return -1;
	}
	return DISNI_HANDLE(ch);
}

JNIEXPORT jlong JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1createCQ(JNIEnv *env, jobject self, jlong context,
	jlong channel, jint ncqe, jint comp_vector)
{
	struct ibv_cq *cq;

	REQUIRE_OR_THROW(context, "context", -1);
	cq = ibv_create_cq(DISNI_PTR(struct ibv_context, context), ncqe, NULL, DISNI_PTR(struct ibv_comp_channel, channel), comp_vector);
	if (cq == NULL) {
		disni_throw_errno(env, "ibv_create_cq", errno ? errno : ENOMEM, NULL);
		return -1;
	}
	return DISNI_HANDLE(cq);
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1modifyQP(JNIEnv *env, jobject self, jlong qp, jlong attr)
{
	/*
	 * DiSNI 2.1's RdmaVerbsNat.modifyQP always passes 0 for the attributes and no attribute mask,
	 * so there is nothing to apply: report EINVAL (RdmaVerbs.modifyQP then returns null). QP state
	 * changes happen in rdma_connect / rdma_accept / rdma_disconnect.
	 */
	return -EINVAL;
}

JNIEXPORT jlong JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1regMr(JNIEnv *env, jobject self, jlong pd, jlong addr,
	jint length, jint access, jlong lkey_out, jlong rkey_out, jlong handle_out)
{
	struct ibv_mr *mr;

	REQUIRE_OR_THROW(pd, "protection domain", -1);
	if (length < 0) {
		disni_throw_errno(env, "ibv_reg_mr", EINVAL, " (negative length)");
		return -1;
	}
	mr = ibv_reg_mr(DISNI_PTR(struct ibv_pd, pd), DISNI_PTR(void, addr), (size_t)length, access);
	if (mr == NULL) {
		int err = errno ? errno : ENOMEM;

		disni_throw_errno(env, "ibv_reg_mr", err,
			err == ENOMEM || err == EPERM ? " (is RLIMIT_MEMLOCK (ulimit -l) large enough?)"
			: err == EINVAL ? " (remote write / atomic access needs IBV_ACCESS_LOCAL_WRITE too)" : NULL);
		return -1;
	}
	if (lkey_out)
		memcpy(DISNI_PTR(void, lkey_out), &mr->lkey, 4);
	if (rkey_out)
		memcpy(DISNI_PTR(void, rkey_out), &mr->rkey, 4);
	if (handle_out)
		memcpy(DISNI_PTR(void, handle_out), &mr->handle, 4);
	return DISNI_HANDLE(mr);
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1queryOdpSupport(JNIEnv *env, jobject self, jlong context)
{
	struct ibv_device_attr_ex attr;

	REQUIRE_OR_EINVAL(context);
	memset(&attr, 0, sizeof(attr));
	if (ibv_query_device_ex(DISNI_PTR(struct ibv_context, context), NULL, &attr) != 0)
		return -1;
	if (!(attr.odp_caps.general_caps & IBV_ODP_SUPPORT))
		return -1;
	/* IbvContext.IBV_ODP_SUPPORT_* bits == enum ibv_odp_transport_cap_bits, for RC */
	return (jint)attr.odp_caps.per_transport_caps.rc_odp_caps;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1expPrefetchMr(JNIEnv *env, jobject self, jlong mr_h, jlong addr,
	jint length)
{
	struct ibv_mr *mr = DISNI_PTR(struct ibv_mr, mr_h);
	struct ibv_sge sge;
	int ret;

	REQUIRE_OR_THROW(mr_h, "memory region", -EINVAL);
	/* the experimental (MLNX_OFED) prefetch verb became ibv_advise_mr in rdma-core */
	sge.addr = (uint64_t)addr;
	sge.length = (uint32_t)length;
	sge.lkey = mr->lkey;
	ret = ibv_advise_mr(mr->pd, IBV_ADVISE_MR_ADVICE_PREFETCH, IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	return ret ? -disni_verbs_errno(ret) : 0;
}

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1deregMr(JNIEnv *env, jobject self, jlong mr)
{
	int ret;

	REQUIRE_OR_THROW(mr, "memory region", );
	ret = ibv_dereg_mr(DISNI_PTR(struct ibv_mr, mr));
	if (ret)
		disni_throw_errno(env, "ibv_dereg_mr", disni_verbs_errno(ret), NULL);
}

/* ---- verbs: data path ----------------------------------------------------------------------- */

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1postSend(JNIEnv *env, jobject self, jlong qp, jlong wr_list)
{
	struct ibv_send_wr stack_wrs[DISNI_STACK_SEND_WRS];
	struct ibv_send_wr *wrs = stack_wrs;
	struct ibv_send_wr *bad = NULL;
	const unsigned char *p;
	size_t n = 0, i;
	int ret;

	REQUIRE_OR_THROW(qp, "queue pair", );
	REQUIRE_OR_THROW(wr_list, "work request list", );
	/* DiSNI's chain: 72-byte work requests linked through the absolute address at offset 8 */
	for (p = DISNI_PTR(const unsigned char, wr_list); p != NULL && n <= DISNI_MAX_CHAIN; n++) {
		uint64_t next;

		memcpy(&next, p + offsetof(struct ibv_send_wr, next), sizeof(next));
		p = (const unsigned char *)(uintptr_t)next;
	}
	if (n > DISNI_MAX_CHAIN) {
		disni_throw(env, "ibv_post_send: work request chain too long (a loop in the next pointers?)");
		return;
	}
	if (n > DISNI_STACK_SEND_WRS) {
		wrs = malloc(n * sizeof(*wrs));
		if (wrs == NULL) {
			disni_throw_errno(env, "ibv_post_send", ENOMEM, " (translating the work request chain)");
			return;
		}
	}
	p = DISNI_PTR(const unsigned char, wr_list);
	for (i = 0; i < n; i++) {
		uint64_t next;

		memcpy(&wrs[i], p, DISNI_SEND_WR_SIZE);
		memset((unsigned char *)&wrs[i] + DISNI_SEND_WR_SIZE, 0, sizeof(wrs[i]) - DISNI_SEND_WR_SIZE);
		memcpy(&next, p + offsetof(struct ibv_send_wr, next), sizeof(next));
		wrs[i].next = i + 1 < n ? &wrs[i + 1] : NULL;
		p = (const unsigned char *)(uintptr_t)next;
	}
	ret = ibv_post_send(DISNI_PTR(struct ibv_qp, qp), wrs, &bad);
	if (ret) {
		char detail[96];

		snprintf(detail, sizeof(detail), " at work request %ld of %zu",
			bad != NULL ? (long)(bad - wrs) : -1L, n);
		disni_throw_errno(env, "ibv_post_send", disni_verbs_errno(ret), detail);
	}
	if (wrs != stack_wrs)
		free(wrs);
}

JNIEXPORT void JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1postRecv(JNIEnv *env, jobject self, jlong qp, jlong wr_list)
{
	struct ibv_recv_wr *bad = NULL;
	struct ibv_recv_wr *wrs = DISNI_PTR(struct ibv_recv_wr, wr_list);
	int ret;

	REQUIRE_OR_THROW(qp, "queue pair", );
	REQUIRE_OR_THROW(wr_list, "work request list", );
	/* DiSNI's 32-byte receive requests are struct ibv_recv_wr exactly: post in place */
	ret = ibv_post_recv(DISNI_PTR(struct ibv_qp, qp), wrs, &bad);
	if (ret) {
		char detail[64];
		long idx = -1;
		struct ibv_recv_wr *w;

		for (w = wrs, idx = 0; bad != NULL && w != NULL && w != bad; w = w->next)
			idx++;
		snprintf(detail, sizeof(detail), " at work request %ld", bad != NULL ? idx : -1L);
		disni_throw_errno(env, "ibv_post_recv", disni_verbs_errno(ret), detail);
	}
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getCqEvent(JNIEnv *env, jobject self, jlong channel, jint timeout)
{
	struct ibv_comp_channel *ch = DISNI_PTR(struct ibv_comp_channel, channel);
	struct ibv_cq *cq;
	void *cq_context;
	int ready;

	REQUIRE_OR_THROW(channel, "completion channel", -1);
	ready = disni_wait_readable(ch->fd, timeout);
	if (ready == 0)
		return -1; /* timeout: RdmaVerbsNat.getCqEvent returns false, NatGetCqCall throws */
	if (ready < 0) {
		disni_throw_errno(env, "poll(completion channel)", -ready, NULL);
		return -1;
	}
	if (ibv_get_cq_event(ch, &cq, &cq_context))
		return -1; /* raced with another reader */
	return 0; /* one event taken: ack it with _ackCqEvent(cq, n) */
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1pollCQ(JNIEnv *env, jobject self, jlong cq, jint ne, jlong wc_out)
{
	REQUIRE_OR_EINVAL(cq);
	REQUIRE_OR_EINVAL(wc_out);
	/* DiSNI's 48-byte completions are struct ibv_wc exactly: poll into its buffer */
	return ibv_poll_cq(DISNI_PTR(struct ibv_cq, cq), ne, DISNI_PTR(struct ibv_wc, wc_out));
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1reqNotifyCQ(JNIEnv *env, jobject self, jlong cq, jint solicited_only)
{
	int ret;

	REQUIRE_OR_EINVAL(cq);
	ret = ibv_req_notify_cq(DISNI_PTR(struct ibv_cq, cq), solicited_only);
	return ret ? -disni_verbs_errno(ret) : 0;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1ackCqEvent(JNIEnv *env, jobject self, jlong cq, jint nevents)
{
	REQUIRE_OR_EINVAL(cq);
	if (nevents > 0)
		ibv_ack_cq_events(DISNI_PTR(struct ibv_cq, cq), (unsigned int)nevents);
	return 0;
}

/* ---- verbs: teardown ---------------------------------------------------------------------- */

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1destroyCompChannel(JNIEnv *env, jobject self, jlong channel)
{
	int ret;

	REQUIRE_OR_EINVAL(channel);
	/* EBUSY while a CQ still uses it (DiSNI's RdmaCqProvider.close destroys the channel first) */
	ret = ibv_destroy_comp_channel(DISNI_PTR(struct ibv_comp_channel, channel));
	return ret ? -disni_verbs_errno(ret) : 0;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1deallocPd(JNIEnv *env, jobject self, jlong pd)
{
	int ret;

	REQUIRE_OR_EINVAL(pd);
	ret = ibv_dealloc_pd(DISNI_PTR(struct ibv_pd, pd));
	return ret ? -disni_verbs_errno(ret) : 0;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1destroyCQ(JNIEnv *env, jobject self, jlong cq)
{
	int ret;

	REQUIRE_OR_EINVAL(cq);
	ret = ibv_destroy_cq(DISNI_PTR(struct ibv_cq, cq));
	return ret ? -disni_verbs_errno(ret) : 0;
}

/* ---- accessors ---------------------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getContext(JNIEnv *env, jobject self, jlong id)
{
	struct rdma_cm_id *cm_id = DISNI_PTR(struct rdma_cm_id, id);

	REQUIRE_OR_THROW(id, "cm id", -1);
	/* NULL until the id is bound to a device (bind to a device address, or resolve): -1 lets
	 * NatCmaIdPrivate.getVerbs return null and ask again later */
	return cm_id->verbs ? DISNI_HANDLE(cm_id->verbs) : -1;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getQpNum(JNIEnv *env, jobject self, jlong qp)
{
	REQUIRE_OR_THROW(qp, "queue pair", -1);
	return (jint)DISNI_PTR(struct ibv_qp, qp)->qp_num;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getContextFd(JNIEnv *env, jobject self, jlong context)
{
	REQUIRE_OR_THROW(context, "context", -1);
	return DISNI_PTR(struct ibv_context, context)->cmd_fd;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getContextNumCompVectors(JNIEnv *env, jobject self, jlong context)
{
	REQUIRE_OR_THROW(context, "context", -1);
	return DISNI_PTR(struct ibv_context, context)->num_comp_vectors;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getPdHandle(JNIEnv *env, jobject self, jlong pd)
{
	REQUIRE_OR_THROW(pd, "protection domain", -1);
	return (jint)DISNI_PTR(struct ibv_pd, pd)->handle;
}

/* ---- the numbers NativeDispatcher's constructor checks ------------------------------------ */

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getSockAddrInSize(JNIEnv *env, jobject self)
{
	return DISNI_SOCKADDR_SIZE;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getIbvRecvWRSize(JNIEnv *env, jobject self)
{
	return DISNI_RECV_WR_SIZE;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getIbvSendWRSize(JNIEnv *env, jobject self)
{
	return DISNI_SEND_WR_SIZE; /* DiSNI's layout; translated in _postSend */
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getIbvSgeSize(JNIEnv *env, jobject self)
{
	return DISNI_SGE_SIZE;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getIbvWCSize(JNIEnv *env, jobject self)
{
	return DISNI_WC_SIZE;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getRemoteAddressOffset(JNIEnv *env, jobject self)
{
	return DISNI_REMOTE_ADDR_OFFSET;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getRKeyOffset(JNIEnv *env, jobject self)
{
	return DISNI_RKEY_OFFSET;
}

JNIEXPORT jint JNICALL Java_com_ibm_disni_verbs_impl_NativeDispatcher__1getVersion(JNIEnv *env, jobject self)
{
	return DISNI_JVERBS_VERSION;
}
