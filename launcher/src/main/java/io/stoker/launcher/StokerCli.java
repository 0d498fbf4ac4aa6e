package io.stoker.launcher;

import io.stoker.dataset.DatasetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.UncheckedIOException;

/**
 * The {@code stoker} command.
 */
@Command(
    name = "stoker",
    mixinStandardHelpOptions = true,
    versionProvider = StokerCli.Version.class,
    description = "Keeps GPUs fed: moves dataset chunks into worker buffers, exactly once per epoch, " +
        "in a seeded order.",
    subcommands = {
        LocalCommand.class, DatasetCommand.class, CoordinatorCommand.class, ServeCommand.class, WorkerCommand.class,
        SubmitCommand.class, StatCommand.class, TokenCommand.class, CommandLine.HelpCommand.class })
public final class StokerCli implements Runnable
{
    /**
     * Exit status when a run did not deliver everything (chunks missing, timeout).
     */
    public static final int EXIT_INCOMPLETE = 1;

    /**
     * Exit status of a usage error: a bad option or option value.
     */
    public static final int EXIT_USAGE = 2;

    /**
     * Exit status for a bad dataset: the message names the file and the byte offset.
     */
    public static final int EXIT_BAD_DATASET = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(System.out);
    }

    /**
     * Run the command line.
     *
     * @param args as given.
     * @return the exit status.
     */
    public static int execute(final String... args)
    {
        return commandLine().execute(args);
    }

    /**
     * @return the command line, ready to execute; callers may redirect its output streams first.
     */
    public static CommandLine commandLine()
    {
        return new CommandLine(new StokerCli())
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setExecutionExceptionHandler(StokerCli::onException);
    }

    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    private static int onException(
        final Exception ex, final CommandLine commandLine, final CommandLine.ParseResult parseResult)
    {
        final CommandLine.Help.ColorScheme colors = commandLine.getColorScheme();
        if (ex instanceof DatasetException)
        {
            commandLine.getErr().println(colors.errorText("stoker: " + ex.getMessage()));
            return EXIT_BAD_DATASET;
        }
        if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException ||
            ex instanceof UncheckedIOException)
        {
            commandLine.getErr().println(colors.errorText("stoker: " + ex.getMessage()));
            return EXIT_USAGE;
        }
        throw new IllegalStateException(ex);
    }

    /**
     * Reads the version from the jar's manifest.
     */
    public static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String version = StokerCli.class.getPackage().getImplementationVersion();
            return new String[]{ "stoker " + (null != version ? version : "(development build)") };
        }
    }
}
