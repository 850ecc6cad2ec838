package dev.flotilla.cli.client;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table: a header row and rows, columns separated by two spaces, numbers right
 * aligned. Trailing blanks are trimmed so that the output diffs cleanly.
 *
 * <pre>
 *   Table t = new Table().left("GPU").right("$/h");
 *   t.row("RTX 4090", "$0.35");
 *   t.print(out);
 * </pre>
 */
final class Table {
    private final List<String> headers = new ArrayList<>();
    private final List<Boolean> rightAligned = new ArrayList<>();
    private final List<List<String>> rows = new ArrayList<>();

    Table left(String header) {
        return column(header, false);
    }

    Table right(String header) {
        return column(header, true);
    }

    private Table column(String header, boolean right) {
        if (!rows.isEmpty()) {
            throw new IllegalStateException("columns must be declared before rows");
        }
        headers.add(requireNonNull(header, "header is null"));
        rightAligned.add(right);
        return this;
    }

    Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells; the table has " + headers.size()
                    + " columns " + headers);
        }
        List<String> r = new ArrayList<>(cells.length);
        for (Object c : cells) {
            r.add(c == null ? Fmt.NONE : c.toString().replaceAll("[\\r\\n\\t]+", " "));
        }
        rows.add(r);
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    String render() {
        return render(true);
    }

    private String render(boolean withHeader) {
        int[] width = new int[headers.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = headers.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        if (withHeader) {
            line(sb, headers, width);
        }
        for (List<String> r : rows) {
            line(sb, r, width);
        }
        return sb.toString();
    }

    private void line(StringBuilder sb, List<String> cells, int[] width) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                l.append("  ");
            }
            String c = cells.get(i);
            String pad = " ".repeat(width[i] - c.length());
            l.append(rightAligned.get(i) ? pad + c : c + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    void print(PrintWriter out) {
        out.print(render(true));
        out.flush();
    }

    /** Only the rows: for a listing of fields and values, where a header would say nothing. */
    void printRows(PrintWriter out) {
        out.print(render(false));
        out.flush();
    }
}
