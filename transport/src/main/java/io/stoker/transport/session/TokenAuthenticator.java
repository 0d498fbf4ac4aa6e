package io.stoker.transport.session;

import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ProofDecoder;

import java.util.HashMap;
import java.util.Map;

/**
 * Admits a session that proves the job token: the verifier sends a fresh nonce with its own proof
 * over the session's transcript ({@link HandshakeTranscript}), and the initiator must answer with
 * its proof over the same transcript. The session is then sealed with keys both derived. The token is the one of
 * the job the Hello names, derived from the cluster token this side holds ({@link JobToken#forJob}); the derived
 * tokens are kept, at most {@link #MAX_CACHED_JOBS} (a Hello may name any job: beyond that the cache starts over).
 */
public final class TokenAuthenticator implements Authenticator
{
    /**
     * Most derived job tokens kept.
     */
    public static final int MAX_CACHED_JOBS = 256;

    private final Map<String, JobToken> jobTokens = new HashMap<>();
    private final JobToken token;
    private final Service service;
    private final byte[] proof = new byte[SessionKeys.PROOF_LENGTH];

    /**
     * @param token   the cluster token.
     * @param service what the sessions are opened with.
     */
    public TokenAuthenticator(final JobToken token, final Service service)
    {
        this.token = token;
        this.service = service;
    }

    @Override
    public void onConnectedSession(final PendingSession session, final long nowNs)
    {
        final byte[] verifierNonce = SessionKeys.newNonce();
        final SessionKeys keys = SessionKeys.derive(jobToken(session.identity().jobName()), HandshakeTranscript.of(
            service, session.identity(), session.correlationId(), session.sessionId(), session.verifierSessionId(),
            session.initiatorNonce(), verifierNonce));
        session.challenge(verifierNonce, keys);
    }

    @Override
    public void onProof(final PendingSession session, final ProofDecoder decoder, final long nowNs)
    {
        decoder.getProof(proof, 0, proof.length);
        if (session.keys().isInitiatorProof(proof))
        {
            session.authenticate(session.keys());
        }
        else
        {
            final String jobName = session.identity().jobName();
            session.reject(ErrorCode.AUTHENTICATION_FAILED, "proof of the job token does not verify" +
                (jobName.isEmpty() ? "" : " (job " + jobName + ")"));
        }
    }

    private JobToken jobToken(final String jobName)
    {
        if (jobName.isEmpty())
        {
            return token;
        }
        JobToken jobToken = jobTokens.get(jobName);
        if (null == jobToken)
        {
            if (jobTokens.size() >= MAX_CACHED_JOBS)
            {
                jobTokens.clear();
            }
            jobToken = token.forJob(jobName);
            jobTokens.put(jobName, jobToken);
        }
        return jobToken;
    }
}
