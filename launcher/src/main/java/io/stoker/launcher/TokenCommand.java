package io.stoker.launcher;

import io.stoker.transport.session.JobToken;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code stoker token}: derive a job's token from the cluster token.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Derive the token of one job from the cluster token (the --job-token-file of the coordinator and " +
        "the data servers), for that job's workers and submit (`--job NAME --job-token-file OUT`): it admits them to " +
        "their job only. The file is written 0600 and must not exist.")
final class TokenCommand implements Callable<Integer>
{
    @Option(names = "--job", required = true, paramLabel = "NAME",
        description = "The job: at most 64 of [A-Za-z0-9._-].")
    String job;

    @Option(names = "--cluster-token-file", required = true, paramLabel = "FILE",
        description = "The cluster token: the coordinator's --job-token-file.")
    Path clusterTokenFile;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the job's token.")
    Path out;

    @Override
    public Integer call()
    {
        if (job.isEmpty())
        {
            throw new IllegalArgumentException("--job: the default job's token is the cluster token itself");
        }
        JobToken.read(clusterTokenFile).forJob(job).write(out);
        System.out.println("stoker token: wrote the token of job " + job + " to " + out);
        return 0;
    }
}
