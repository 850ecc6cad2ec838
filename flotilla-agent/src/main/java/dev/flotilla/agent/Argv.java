package dev.flotilla.agent;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into argv the way a POSIX shell would for plain words and quotes, and
 * nothing more: no expansion, no pipes, no redirection. Templates are split once, before
 * placeholders are filled, so a value with spaces (a model path) stays one argument and can never
 * inject another.
 */
public final class Argv {
    private Argv() {}

    /** Words separated by whitespace; {@code '...'} and {@code "..."} group, {@code \} escapes the next character. */
    public static List<String> split(String command) {
        requireNonNull(command, "command is null");
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < command.length()) {
                    word.append(command.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= command.length()) {
                    throw FlotillaException.invalid("command", "command ends with a lone backslash: " + command);
                }
                word.append(command.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw FlotillaException.invalid("command", "unclosed " + quote + " quote in command: " + command);
        }
        if (inWord) {
            words.add(word.toString());
        }
        return List.copyOf(words);
    }
}
