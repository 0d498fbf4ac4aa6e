package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvRecvWR;
import com.ibm.disni.verbs.IbvSendWR;
import com.ibm.disni.verbs.IbvSge;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.SVCPostRecv;
import com.ibm.disni.verbs.SVCPostSend;

import java.io.IOException;
import java.util.LinkedList;
import java.util.List;

/**
 * Posts the few two-sided messages of a connection's handshake (the challenge, the proof, the key table): one
 * signalled SEND, or one receive, of a single segment of a registered buffer. Setup path only; the reads post from
 * work requests built once.
 */
final class HandshakePosts
{
    private HandshakePosts()
    {
    }

    /**
     * Post one signalled SEND.
     *
     * @param id            the connection.
     * @param workRequestId what its completion carries.
     * @param registration  the registered buffer.
     * @param offset        of the message in it.
     * @param length        of the message.
     * @throws IOException when the verbs call fails.
     */
    static void send(final RdmaCmId id, final long workRequestId, final IbvMr registration, final int offset,
        final int length) throws IOException
    {
        final IbvSendWR request = new IbvSendWR();
        request.setWr_id(workRequestId);
        request.setOpcode(IbvSendWR.IBV_WR_SEND);
        request.setSend_flags(IbvSendWR.IBV_SEND_SIGNALED);
        request.setSg_list(segment(registration, offset, length));
        final SVCPostSend post = id.getQp().postSend(List.of(request), null);
        try
        {
            post.execute();
        }
        finally
        {
            post.free();
        }
    }

    /**
     * Post one receive.
     *
     * @param id            the connection.
     * @param workRequestId what its completion carries.
     * @param registration  the registered buffer.
     * @param offset        where the message lands in it.
     * @param length        the most it takes.
     * @throws IOException when the verbs call fails.
     */
    static void receive(final RdmaCmId id, final long workRequestId, final IbvMr registration, final int offset,
        final int length) throws IOException
    {
        final IbvRecvWR request = new IbvRecvWR();
        request.setWr_id(workRequestId);
        request.setSg_list(segment(registration, offset, length));
        request.setNum_sge(1);
        final SVCPostRecv post = id.getQp().postRecv(List.of(request), null);
        try
        {
            post.execute();
        }
        finally
        {
            post.free();
        }
    }

    private static LinkedList<IbvSge> segment(final IbvMr registration, final int offset, final int length)
    {
        final IbvSge segment = new IbvSge();
        segment.setAddr(registration.getAddr() + offset);
        segment.setLength(length);
        segment.setLkey(registration.getLkey());
        final LinkedList<IbvSge> segments = new LinkedList<>();
        segments.add(segment);
        return segments;
    }
}
