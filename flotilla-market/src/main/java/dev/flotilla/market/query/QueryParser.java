package dev.flotilla.market.query;

import static dev.flotilla.market.query.Condition.invalid;

import dev.flotilla.core.FlotillaException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the text of an offer query: space-separated {@code field op value} clauses, spaces
 * around the operator optional. A hand-written scanner rather than a regex split, because values
 * may be quoted strings or lists holding spaces, and every malformed input must get a message
 * that names the offending token instead of a parse that quietly drops it.
 */
final class QueryParser {
    /** One clause; {@code condition} is empty for {@code field=any}, which lifts the field's conditions. */
    record Clause(QueryField field, Optional<Condition> condition) {}

    private final String s;
    private int pos;

    QueryParser(String text) {
        this.s = text;
    }

    List<Clause> parse() {
        List<Clause> out = new ArrayList<>();
        while (true) {
            skipSpaces();
            if (pos >= s.length()) {
                return out;
            }
            out.add(clause(!out.isEmpty()));
        }
    }

    private Clause clause(boolean afterAnother) {
        int start = pos;
        while (pos < s.length() && isFieldChar(s.charAt(pos))) {
            pos++;
        }
        if (pos == start) {
            throw invalid(null, "expected a field name at '" + tokenAt(start) + "'");
        }
        String fieldToken = s.substring(start, pos);
        QueryField field = QueryField.lookup(fieldToken).orElseThrow(() -> unknownField(fieldToken, afterAnother));

        skipSpaces();
        if (pos >= s.length()) {
            throw invalid(field, "field '" + fieldToken + "' has no operator and value; write e.g. " + example(field));
        }
        String opToken = operatorToken(field, fieldToken);
        Operator op = Operator.bySpelling(opToken).orElseThrow(() -> invalid(field,
                "unknown operator '" + opToken + "' after " + fieldToken + "; accepted: " + Operator.allSpellings()));
        Condition.checkOperator(field, op, opToken);

        skipSpaces();
        if (pos >= s.length()) {
            throw invalid(field, "'" + fieldToken + " " + opToken + "' has no value; write e.g. " + example(field));
        }
        char c = s.charAt(pos);
        int valueStart = pos;
        List<String> values;
        boolean isList = c == '[';
        boolean any = false;
        if (isList) {
            values = list(field);
        } else if (c == '"' || c == '\'') {
            values = List.of(quoted(field));
        } else {
            String bare = bare(field);
            values = List.of(bare);
            any = bare.equalsIgnoreCase("any");
        }
        if (pos < s.length() && !Character.isWhitespace(s.charAt(pos))) {
            throw invalid(field, "expected a space after the value of " + fieldToken + ", found '" + tokenAt(pos) + "'");
        }
        String valueText = s.substring(valueStart, pos);
        if (any) {
            if (op != Operator.EQ) {
                throw invalid(field, "'any' lifts every condition on a field and only works with '=': write " + field.fieldName()
                        + "=any, not '" + fieldToken + " " + opToken + " any'");
            }
            return new Clause(field, Optional.empty());
        }
        if (isList && !op.takesList()) {
            throw invalid(field, fieldToken + " " + opToken + " takes a single value (" + field.type().expected() + "), got the list " + valueText
                    + "; use 'in' or 'notin' for a list");
        }
        if (!isList && op.takesList()) {
            throw invalid(field, fieldToken + " " + opToken + " takes a list such as [a,b], got " + valueText);
        }
        return new Clause(field, Optional.of(new Condition(field, op, values)));
    }

    private String operatorToken(QueryField field, String fieldToken) {
        int start = pos;
        if (Character.isLetter(s.charAt(pos))) {
            String word = word();
            if (!word.equalsIgnoreCase("not")) {
                return word;
            }
            int afterNot = pos;
            skipSpaces();
            if (pos > afterNot && word().equalsIgnoreCase("in")) {
                return word + " in";
            }
            pos = afterNot;
            return word;
        }
        while (pos < s.length() && isOperatorChar(s.charAt(pos))) {
            pos++;
        }
        if (pos == start) {
            throw invalid(field, "expected an operator after '" + fieldToken + "', found '" + tokenAt(pos)
                    + "'; accepted: " + Operator.allSpellings());
        }
        return s.substring(start, pos);
    }

    private String word() {
        int start = pos;
        while (pos < s.length() && Character.isLetter(s.charAt(pos))) {
            pos++;
        }
        return s.substring(start, pos);
    }

    private String quoted(QueryField field) {
        char quote = s.charAt(pos);
        int end = s.indexOf(quote, pos + 1);
        if (end < 0) {
            throw invalid(field, "unterminated quote in the value of " + field.fieldName() + ": " + s.substring(pos)
                    + " has no closing " + quote);
        }
        String value = s.substring(pos + 1, end);
        pos = end + 1;
        return value;
    }

    private String bare(QueryField field) {
        int start = pos;
        while (pos < s.length() && !Character.isWhitespace(s.charAt(pos))) {
            pos++;
        }
        String value = s.substring(start, pos);
        if (value.indexOf(',') >= 0) {
            throw invalid(field, "value '" + value + "' of " + field.fieldName() + " holds a ','; for several values write "
                    + field.fieldName() + " in [" + value + "]");
        }
        checkNoSyntax(field, value);
        return value;
    }

    private List<String> list(QueryField field) {
        int open = pos;
        pos++;
        List<String> items = new ArrayList<>();
        skipSpaces();
        if (pos < s.length() && s.charAt(pos) == ']') {
            throw invalid(field, "empty list for " + field.fieldName() + "; give at least one value, e.g. "
                    + field.fieldName() + " in [a,b]");
        }
        while (true) {
            skipSpaces();
            if (pos >= s.length()) {
                throw unterminatedList(field, open);
            }
            char c = s.charAt(pos);
            if (c == ',' || c == ']') {
                throw invalid(field, "empty item in the list " + s.substring(open, Math.min(s.length(), pos + 1))
                        + " for " + field.fieldName());
            }
            if (c == '"' || c == '\'') {
                items.add(quoted(field));
            } else {
                int start = pos;
                while (pos < s.length() && !Character.isWhitespace(s.charAt(pos)) && s.charAt(pos) != ',' && s.charAt(pos) != ']') {
                    pos++;
                }
                String item = s.substring(start, pos);
                checkNoSyntax(field, item);
                items.add(item);
            }
            skipSpaces();
            if (pos >= s.length()) {
                throw unterminatedList(field, open);
            }
            c = s.charAt(pos++);
            if (c == ']') {
                return items;
            }
            if (c != ',') {
                throw invalid(field, "expected ',' or ']' in the list for " + field.fieldName() + ", found '" + c + "'");
            }
        }
    }

    private static void checkNoSyntax(QueryField field, String value) {
        for (char c : new char[] {'[', ']', '"', '\''}) {
            if (value.indexOf(c) >= 0) {
                throw invalid(field, "unexpected '" + c + "' in the value '" + value + "' of " + field.fieldName()
                        + "; quote a value as \"...\" and write lists as [a,b]");
            }
        }
    }

    private FlotillaException unterminatedList(QueryField field, int open) {
        return invalid(field, "unterminated list in the value of " + field.fieldName() + ": " + s.substring(open)
                + " has no closing ']'");
    }

    private FlotillaException unknownField(String token, boolean afterAnother) {
        String message = QueryField.unknownFieldMessage(token);
        if (afterAnother && QueryField.suggestion(token).isEmpty()) {
            message += " (if '" + token + "' belongs to the previous value, quote that value or write _ for its spaces,"
                    + " e.g. gpu_name=RTX_4090)";
        }
        return invalid(null, message);
    }

    private static String example(QueryField field) {
        return switch (field.type()) {
            case NUMBER -> field.fieldName() + ">=1";
            case STRING -> field == QueryField.GEOLOCATION ? "geolocation in [US,CA]" : field.fieldName() + "=RTX_4090";
            case BOOL -> field.fieldName() + "=true";
            case VERSION -> field.fieldName() + ">=535.86.05";
        };
    }

    private String tokenAt(int at) {
        int end = at;
        while (end < s.length() && !Character.isWhitespace(s.charAt(end))) {
            end++;
        }
        return s.substring(at, end);
    }

    private void skipSpaces() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
            pos++;
        }
    }

    /** Field names: letters, digits, '_', and '-' and '.' so that gpu-name is reported whole, not split. */
    private static boolean isFieldChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.';
    }

    /** Operator symbols: anything that cannot start a field or a value, so "=>" is read whole and "=-1" is not. */
    private static boolean isOperatorChar(char c) {
        return !Character.isLetterOrDigit(c) && !Character.isWhitespace(c) && "_-+.\"'[".indexOf(c) < 0;
    }
}
