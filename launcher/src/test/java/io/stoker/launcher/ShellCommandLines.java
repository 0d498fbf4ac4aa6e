package io.stoker.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code stoker} command lines of a shell script, as words: continuation lines joined, comments left out,
 * every expansion ({@code $VAR}, {@code ${VAR}}, {@code $(command)}, {@code $((arithmetic))}) replaced by a
 * sample value, quotes removed, and each command cut at its first operator or redirection.
 */
final class ShellCommandLines
{
    /**
     * What every expansion becomes: a number, so that it fits an integer option, a path or a host.
     */
    static final String SAMPLE = "7";

    private static final Pattern EXPANSION = Pattern.compile(
        "\\$\\(\\([^)]*\\)\\)|\\$\\([^)]*\\)|\\$\\{[^}]*}|\\$[A-Za-z_][A-Za-z0-9_]*|\\$[@*#?$!0-9]");

    private ShellCommandLines()
    {
    }

    /**
     * @param script      the script's text.
     * @param subcommands the names that make {@code stoker NAME} a command line of interest.
     * @return each {@code stoker} command line's arguments, the subcommand first.
     */
    static List<List<String>> of(final String script, final List<String> subcommands)
    {
        final List<List<String>> commands = new ArrayList<>();
        for (final String line : script.replace("\\\n", " ").split("\n"))
        {
            if (line.strip().startsWith("#"))
            {
                continue;
            }
            final List<String> words = words(EXPANSION.matcher(line).replaceAll(SAMPLE));
            for (int i = 0; i + 1 < words.size(); i++)
            {
                if ("stoker".equals(words.get(i)) && subcommands.contains(words.get(i + 1)))
                {
                    final List<String> command = new ArrayList<>();
                    for (int j = i + 1; j < words.size() && !isOperator(words.get(j)); j++)
                    {
                        command.add(words.get(j));
                    }
                    commands.add(command);
                }
            }
        }
        return commands;
    }

    private static boolean isOperator(final String word)
    {
        return word.isEmpty() || "&|;<>()".indexOf(word.charAt(0)) >= 0;
    }

    /**
     * Split a line into words as the shell does for simple commands: quotes group and are removed; an unquoted
     * operator character ({@code & | ; < > ( )}) ends a word and starts a word of its own (a file descriptor
     * number before a redirection goes with it).
     */
    static List<String> words(final String line)
    {
        final List<String> words = new ArrayList<>();
        final StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++)
        {
            final char c = line.charAt(i);
            if (0 != quote)
            {
                if (c == quote)
                {
                    quote = 0;
                }
                else
                {
                    word.append(c);
                }
            }
            else if ('\'' == c || '"' == c)
            {
                quote = c;
                inWord = true;
            }
            else if (Character.isWhitespace(c))
            {
                if (inWord)
                {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            }
            else if ("&|;<>()".indexOf(c) >= 0)
            {
                final boolean descriptor = inWord && ('<' == c || '>' == c) && word.toString().matches("\\d+");
                if (inWord && !descriptor)
                {
                    words.add(word.toString());
                }
                word.setLength(0);
                inWord = false;
                words.add(String.valueOf(c));
            }
            else
            {
                word.append(c);
                inWord = true;
            }
        }
        if (0 != quote)
        {
            throw new IllegalArgumentException("unterminated quote in: " + line);
        }
        if (inWord)
        {
            words.add(word.toString());
        }
        return words;
    }
}
