package dev.flotilla.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one line of the CSV dialect the project's data files use (the GPU and model catalogs, the
 * shared data sets): comma separated, double quotes around fields that hold commas, {@code ""} for
 * a quote inside them. No line breaks inside fields: none of the files has them.
 */
public final class Csv {
    private Csv() {}

    public static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
