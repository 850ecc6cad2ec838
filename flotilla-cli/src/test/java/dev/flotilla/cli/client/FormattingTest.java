package dev.flotilla.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class FormattingTest {
    private static JsonNode json(String text) throws Exception {
        return Json.parse(text);
    }

    @Test
    void tableRightAlignsNumbersAndTrimsTrailingBlanks() {
        Table t = new Table().left("GPU").right("$/h").left("NOTE");
        t.row("RTX 4090", "$0.35", "");
        t.row("H100", "$12.00", "fast");

        assertThat(t.render()).isEqualTo("""
                GPU          $/h  NOTE
                RTX 4090   $0.35
                H100      $12.00  fast
                """);
    }

    @Test
    void tableRejectsARowOfTheWrongWidth() {
        Table t = new Table().left("A").left("B");

        assertThatThrownBy(() -> t.row("only one")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[A, B]");
    }

    @Test
    void tableKeepsEachRowOnOneLine() {
        Table t = new Table().left("DETAIL");
        t.row("two\nlines");

        assertThat(t.render()).isEqualTo("DETAIL\ntwo lines\n");
    }

    @Test
    void moneyIsShownExactlyWithAtLeastTwoDecimals() throws Exception {
        JsonNode n = json("{\"a\": 0.351369, \"b\": 1E+2, \"c\": -100, \"d\": null, \"e\": 0.2}");

        assertThat(Fmt.money(n.path("a"))).isEqualTo("$0.351369");
        assertThat(Fmt.money(n.path("a"), 4)).isEqualTo("$0.3514");
        assertThat(Fmt.money(n.path("b"))).isEqualTo("$100.00");
        assertThat(Fmt.money(n.path("c"))).isEqualTo("-$100.00");
        assertThat(Fmt.money(n.path("d"))).isEqualTo("-");
        assertThat(Fmt.money(n.path("missing"))).isEqualTo("-");
        assertThat(Fmt.money(n.path("e"))).isEqualTo("$0.20");
    }

    @Test
    void numbersDropNeedlessZeros() throws Exception {
        JsonNode n = json("{\"ram\": 24.0, \"cuda\": 12.4, \"rel\": 0.9025, \"big\": 1E+3}");

        assertThat(Fmt.num(n.path("ram"), 1)).isEqualTo("24");
        assertThat(Fmt.num(n.path("cuda"), 1)).isEqualTo("12.4");
        assertThat(Fmt.num(n.path("big"), 0)).isEqualTo("1000");
        assertThat(Fmt.fixed(n.path("rel"), 3)).isEqualTo("0.903");
    }

    @Test
    void prettyJsonKeepsDecimalsExact() throws Exception {
        assertThat(Json.pretty(json("{\"dph\": 0.10000000000000001, \"balance\": 1E+2}")))
                .contains("0.10000000000000001").contains("100").doesNotContain("E+");
    }

    @Test
    void httpStatusesMapToExitCodes() {
        assertThat(CliException.exitCodeForStatus(400)).isEqualTo(2);
        assertThat(CliException.exitCodeForStatus(413)).isEqualTo(2);
        assertThat(CliException.exitCodeForStatus(401)).isEqualTo(3);
        assertThat(CliException.exitCodeForStatus(403)).isEqualTo(3);
        assertThat(CliException.exitCodeForStatus(404)).isEqualTo(4);
        assertThat(CliException.exitCodeForStatus(409)).isEqualTo(5);
        assertThat(CliException.exitCodeForStatus(402)).isEqualTo(5);
        assertThat(CliException.exitCodeForStatus(500)).isEqualTo(6);
        assertThat(CliException.exitCodeForStatus(503)).isEqualTo(6);
        assertThat(CliException.exitCodeForStatus(429)).isEqualTo(6);
    }

    @Test
    void errorBodyThatIsNotTheErrorShapeStillNamesTheStatus() {
        CliException e = ApiClient.error(502, "<html>Bad Gateway</html>");

        assertThat(e.exitCode()).isEqualTo(6);
        assertThat(e.code()).isEqualTo("http_502");
        assertThat(e.getMessage()).isEqualTo("the server answered HTTP 502: <html>Bad Gateway</html>");
    }
}
