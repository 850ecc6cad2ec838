package dev.flotilla.cli.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.server.FlotillaServer;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.store.TestDatabases;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The client commands against a real control plane on an ephemeral port and a fresh database.
 * The CLI runs in-process, as {@code flotilla ...} would: a new command tree per invocation, its
 * output captured, its environment injected (so the developer's own {@code ~/.flotilla} is never
 * read). The admin, tenant and host are all set up through the CLI itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientCommandsTest {
    private static final Instant START = Instant.parse("2026-03-10T12:00:00Z");
    private static final String PERIOD = "2026-03";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A clock the test moves by hand: rentals are charged for exactly the hours the test says pass. */
    static final class ManualClock implements InstantSource {
        private final AtomicReference<Instant> now = new AtomicReference<>(START);

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }
    }

    /** Stands in for Main: the client commands must work under any root. */
    @Command(name = "flotilla")
    static final class Root implements Runnable {
        @Override
        public void run() {}
    }

    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + out + " / " + err, e);
            }
        }
    }

    private final ManualClock clock = new ManualClock();
    private FlotillaServer server;
    private String adminKey;
    private String tenantKey;
    private long tenantId;
    private String hostToken;
    private long rtx4090Machine;
    private long rtx5090Machine;

    private Path home;

    @BeforeAll
    void startMarket(@TempDir Path tempHome) {
        home = tempHome;
        server = FlotillaServer.start(FlotillaConfig.defaultsOnly().withHttpPort(0).withGatewayPort(0), clock, TestDatabases.open());
        adminKey = server.newAdminKey().orElseThrow();

        JsonNode tenant = ok(admin("create", "tenant", "alice", "--credit", "100", "--json")).json();
        tenantKey = tenant.path("api_key").asText();
        tenantId = tenant.path("id").asLong();
        assertThat(tenant.path("balance").decimalValue()).isEqualByComparingTo("100");

        JsonNode host = ok(admin("create", "host", "rack-1", "--json")).json();
        hostToken = host.path("host_token").asText();
        assertThat(hostToken).isNotBlank();

        rtx4090Machine = ok(host("list", "machine", "--gpu", "RTX_4090", "--gpus", "1", "--cpu-cores", "8", "--cpu-ram", "32",
                "--disk", "500", "--inet-up", "800", "--inet-down", "900", "--country", "US", "--region", "us-east",
                "--cuda", "12.4", "--driver", "550.54.15", "--price", "0.35", "--min-bid", "0.20", "--json"))
                .json().path("id").asLong();
        Run listed = ok(host("list", "machine", "--gpu", "RTX_5090", "--gpus", "2", "--cpu-cores", "16", "--cpu-ram", "64",
                "--disk", "1000", "--inet-up", "1000", "--inet-down", "1000", "--country", "SE", "--region", "eu-north",
                "--cuda", "12.8", "--driver", "570.124.06", "--price", "0.60", "--min-bid", "0.30", "--datacenter"));
        assertThat(listed.out()).matches("Listed machine \\d+: 2x RTX_5090 at \\$0\\.60/GPU-h \\(min bid \\$0\\.30/GPU-h\\)"
                + " in SE eu-north\\R");
        rtx5090Machine = Long.parseLong(listed.out().replaceAll("^Listed machine (\\d+):[\\s\\S]*", "$1"));
    }

    @AfterAll
    void stopMarket() {
        if (server != null) {
            server.close();
        }
    }

    // ------------------------------------------------------------------ search

    @Test
    void searchPrintsAlignedTableWithFooter() {
        Run r = ok(tenant("search", "offers", "gpu_name=RTX_4090", "dph<1", "-o", "dph+"));

        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("ID").contains("N", "GPU", "VRAM", "$/h", "$/h total", "DLP", "DLP/$", "REL",
                "GEO", "CUDA", "NET up/down", "FREE");
        assertThat(lines.get(1)).contains("RTX 4090", "24 GB", "$0.350", "US/us-east", "12.4", "800/900")
                .startsWith(rtx4090Machine * 100 + 1 + "");
        // right-aligned columns end where their header ends
        assertThat(lines.get(1).indexOf("$0.350") + "$0.350".length()).isEqualTo(lines.get(0).indexOf("$/h ") + "$/h".length());
        assertThat(lines.get(2)).isEqualTo("1 of 1 matching offers (type on-demand, order dph+,id+)");
    }

    @Test
    void searchJoinsQueryWordsSoQuotedAndUnquotedAgree() {
        Run quoted = ok(tenant("search", "offers", "num_gpus=1 dph<1 geolocation=US"));
        Run unquoted = ok(tenant("search", "offers", "num_gpus=1", "dph<1", "geolocation=US"));

        assertThat(quoted.out()).isEqualTo(unquoted.out()).contains("RTX 4090");
    }

    @Test
    void searchJsonPrintsTheServersAnswer() {
        JsonNode r = ok(tenant("search", "offers", "gpu_name=RTX_4090 reliability>=0", "--limit", "5", "--type", "bid",
                "--json")).json();

        assertThat(r.path("type").asText()).isEqualTo("bid");
        assertThat(r.path("matches").asInt()).isEqualTo(1);
        JsonNode offer = r.path("offers").get(0);
        assertThat(offer.path("gpu_name").asText()).isEqualTo("RTX 4090");
        assertThat(offer.path("machine_id").asLong()).isEqualTo(rtx4090Machine);
        assertThat(offer.path("dph").decimalValue()).isEqualByComparingTo("0.20");
    }

    @Test
    void malformedQueryExitsTwoWithTheServersSuggestion() {
        Run r = tenant("search", "offers", "gpu_nme=RTX_4090");

        assertThat(r.exit()).isEqualTo(CliException.USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("did you mean 'gpu_name'?").endsWith("(invalid_query)" + System.lineSeparator())
                .startsWith("error: ").doesNotContain("Exception", "\tat ");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void badOrderAndBadTypeAreInputErrors() {
        assertThat(tenant("search", "offers", "-o", "dhp-").exit()).isEqualTo(CliException.USAGE);
        Run type = tenant("search", "offers", "--type", "spot");
        assertThat(type.exit()).isEqualTo(CliException.USAGE);
        assertThat(type.err()).contains("on-demand, bid");
    }

    @Test
    void gpuCatalogNeedsNoKey() {
        Run r = ok(cli(Map.of(ClientEnvironment.URL, server.url()), "show", "gpus"));

        assertThat(r.out()).contains("RTX_4090", "RTX 4090", "8.9");
    }

    // ------------------------------------------------------------------ rentals and money

    @Test
    void rentStopStartDestroyThenInvoiceAndEarningsAddUp() {
        long offer = ok(tenant("search", "offers", "gpu_name=RTX_5090", "num_gpus=1", "--json")).json()
                .path("offers").get(0).path("id").asLong();

        Run rented = ok(tenant("create", "rental", Long.toString(offer)));
        assertThat(rented.out()).matches("Rented offer " + offer + " as rental \\d+ \\(on-demand, 1 GPU\\(s\\) on machine "
                + rtx5090Machine + " at \\$0\\.60/h\\)\\R");
        String id = rented.out().replaceAll("^.* as rental (\\d+) [\\s\\S]*", "$1");

        assertThat(ok(tenant("show", "rentals")).out()).contains("running", "on-demand", "$0.60");
        Run shown = ok(tenant("show", "rental", id));
        assertThat(shown.out()).contains("running (created)", "Events:", "created", "on-demand rental of 1 GPU(s)");
        JsonNode shownJson = ok(tenant("show", "rental", id, "--json")).json();
        assertThat(shownJson.path("id").asText()).isEqualTo(id);
        assertThat(shownJson.path("events").get(0).path("kind").asText()).isEqualTo("created");

        clock.advance(Duration.ofHours(2));
        assertThat(ok(tenant("stop", "rental", id)).out())
                .isEqualTo("Stopped rental " + id + ": stopped (stopped by tenant); charged $1.20 so far" + System.lineSeparator());
        assertThat(ok(tenant("start", "rental", id)).out()).startsWith("Started rental " + id + ": running");
        clock.advance(Duration.ofHours(1));
        assertThat(ok(tenant("destroy", "rental", id)).out()).startsWith("Destroyed rental " + id + ": ended")
                .contains("charged $1.80");

        Run again = tenant("destroy", "rental", id);
        assertThat(again.exit()).isEqualTo(CliException.CONFLICT);
        assertThat(again.err()).isEqualTo("error: rental " + id + " has ended (conflict)" + System.lineSeparator());

        assertThat(ok(tenant("show", "rentals")).out()).doesNotContain("destroyed by tenant");
        assertThat(ok(tenant("show", "rentals", "--all")).out()).contains("ended", "destroyed by tenant");
        assertThat(ok(tenant("show", "events")).out()).contains("created", "started");

        Run invoice = ok(tenant("show", "invoices", "--period", PERIOD));
        assertThat(invoice.out()).startsWith("Invoice for 2026-03 (account ").containsPattern(id + "\\s+gpu\\s+\\$1\\.80");
        assertThat(ok(tenant("show", "balance")).out()).isEqualTo("Balance: $98.20 (tenant " + tenantId + ")"
                + System.lineSeparator());
        // the host is paid the charge less the platform's 10%
        Run earnings = ok(host("show", "earnings", "--period", PERIOD));
        assertThat(earnings.out()).startsWith("Earnings for 2026-03").containsPattern(id + "\\s+gpu\\s+\\$1\\.62")
                .contains("Balance: $1.62");
        JsonNode earningsJson = ok(host("show", "earnings", "--period", PERIOD, "--json")).json();
        assertThat(earningsJson.path("total").decimalValue()).isEqualByComparingTo("1.62");
    }

    @Test
    void bidAloneMakesAnInterruptibleRentalAndTooLowABidIsAConflict() {
        long offer = ok(tenant("search", "offers", "gpu_name=RTX_5090", "num_gpus=1", "--json")).json()
                .path("offers").get(0).path("id").asLong();

        Run low = tenant("create", "rental", Long.toString(offer), "--bid", "0.10");
        assertThat(low.exit()).isEqualTo(CliException.CONFLICT);
        assertThat(low.err()).contains("below this offer's minimum bid").endsWith("(bid_too_low)" + System.lineSeparator());

        Run bid = ok(tenant("create", "rental", Long.toString(offer), "--bid", "0.45"));
        assertThat(bid.out()).contains("(bid, 1 GPU(s) on machine " + rtx5090Machine + " at $0.45/h)");
        ok(tenant("destroy", "rental", bid.out().replaceAll("^.* as rental (\\d+) [\\s\\S]*", "$1")));
    }

    @Test
    void unknownRentalExitsFour() {
        Run r = tenant("show", "rental", "999999");

        assertThat(r.exit()).isEqualTo(CliException.NOT_FOUND);
        assertThat(r.err()).startsWith("error: ").contains("999999").endsWith("(not_found)" + System.lineSeparator());
    }

    // ------------------------------------------------------------------ hosts and admin

    @Test
    void hostShowsUnlistsRelistsAndSchedulesMaintenance() {
        assertThat(ok(host("show", "machines")).out()).contains("RTX_4090", "RTX_5090", "US/us-east", "SE/eu-north");

        String m = Long.toString(rtx4090Machine);
        assertThat(ok(host("unlist", "machine", m)).out()).startsWith("Machine " + m + " is unlisted");
        assertThat(ok(tenant("search", "offers", "gpu_name=RTX_4090")).out()).startsWith("0 of 0 matching offers");
        assertThat(ok(host("relist", "machine", m)).out()).startsWith("Machine " + m + " is listed");

        assertThat(ok(host("schedule", "maintenance", m, "--start", "2026-04-01T00:00:00Z", "--end", "2026-04-02")).out())
                .startsWith("Scheduled maintenance on machine " + m);
        Run shown = ok(host("show", "machine", m));
        assertThat(shown.out()).contains("$0.35/GPU-h", "Maintenance:", "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z");

        Run backwards = host("schedule", "maintenance", m, "--start", "2026-04-05", "--end", "2026-04-04");
        assertThat(backwards.exit()).isEqualTo(CliException.USAGE);
        assertThat(backwards.err()).contains("must be after its start");
    }

    @Test
    void listMachineWithoutRequiredOptionsIsAUsageError() {
        Run r = host("list", "machine", "--gpu", "RTX_4090");

        assertThat(r.exit()).isEqualTo(CliException.USAGE);
        assertThat(r.err()).startsWith("error: Missing required options").contains("--gpus", "flotilla list machine --help")
                .endsWith("(usage_error)" + System.lineSeparator());
    }

    @Test
    void unknownGpuIsAnInputError() {
        Run r = host("list", "machine", "--gpu", "RTX_9999", "--gpus", "1", "--cpu-cores", "8", "--cpu-ram", "32",
                "--disk", "500", "--inet-up", "800", "--inet-down", "900", "--country", "US", "--region", "us-east",
                "--cuda", "12.4", "--driver", "550.54.15", "--price", "0.35", "--min-bid", "0.20");

        assertThat(r.exit()).isEqualTo(CliException.USAGE);
        assertThat(r.err()).contains("unknown GPU model 'RTX_9999'");
    }

    @Test
    void adminCreatesTenantPrintingItsKeyAndAddsCredit() {
        Run created = ok(admin("create", "tenant", "bob"));
        assertThat(created.out()).containsPattern("Created tenant bob \\(id \\d+\\), balance \\$0\\.00")
                .containsPattern("API key \\(shown only now\\): \\S+");
        String id = created.out().replaceAll("^Created tenant bob \\(id (\\d+)\\)[\\s\\S]*", "$1");

        assertThat(ok(admin("add", "credit", id, "12.5")).out())
                .isEqualTo("Added $12.50 to tenant " + id + "; balance is now $12.50" + System.lineSeparator());
        Run duplicate = admin("create", "tenant", "bob");
        assertThat(duplicate.exit()).isEqualTo(CliException.CONFLICT);
        assertThat(admin("add", "credit", "999999", "5").exit()).isEqualTo(CliException.NOT_FOUND);
        assertThat(ok(admin("create", "host", "rack-2", "--external")).out()).contains("external", "Host token (shown only now): ");
    }

    // ------------------------------------------------------------------ credentials and failures

    @Test
    void wrongKeyExitsThree() {
        Run r = cli(env("not-a-key"), "show", "balance");

        assertThat(r.exit()).isEqualTo(CliException.AUTH);
        assertThat(r.err()).isEqualTo("error: invalid or revoked API key (unauthenticated)" + System.lineSeparator());
    }

    @Test
    void hostTokenOnATenantCommandExitsThree() {
        Run r = cli(env(hostToken), "show", "rentals");

        assertThat(r.exit()).isEqualTo(CliException.AUTH);
        assertThat(r.err()).contains("(forbidden)");
    }

    @Test
    void noKeyAnywhereExitsThreeBeforeCallingTheServer() {
        Run r = cli(Map.of(ClientEnvironment.URL, server.url()), "show", "balance");

        assertThat(r.exit()).isEqualTo(CliException.AUTH);
        assertThat(r.err()).contains("--api-key", "FLOTILLA_API_KEY", "api_key", "(no_credentials)");
    }

    @Test
    void credentialsFileSuppliesUrlAndEachRolesKey() throws IOException {
        Path file = home.resolve("creds.properties");
        Files.writeString(file, "url=" + server.url() + "\napi_key=" + tenantKey + "\nhost_token=" + hostToken
                + "\nadmin_key=" + adminKey + "\n");
        Map<String, String> env = Map.of(ClientEnvironment.CREDENTIALS, file.toString());

        assertThat(ok(cli(env, "show", "balance")).out()).startsWith("Balance: ");
        assertThat(ok(cli(env, "show", "machines")).out()).contains("RTX_5090");
        assertThat(ok(cli(env, "create", "host", "rack-3")).out()).startsWith("Created host rack-3");
        assertThat(ok(cli(Map.of(), "show", "balance", "--credentials", file.toString())).out()).startsWith("Balance: ");

        // an explicit key wins over the file's
        Map<String, String> overridden = new HashMap<>(env);
        overridden.put(ClientEnvironment.API_KEY, "not-a-key");
        assertThat(cli(overridden, "show", "balance").exit()).isEqualTo(CliException.AUTH);
        assertThat(cli(overridden, "show", "balance", "--api-key", tenantKey).exit()).isZero();
    }

    @Test
    void defaultCredentialsFileLivesUnderHome() throws IOException {
        Path otherHome = home.resolve("other-home");
        Files.createDirectories(otherHome.resolve(".flotilla"));
        Files.writeString(otherHome.resolve(".flotilla/credentials"), "url=" + server.url() + "\napi_key=" + tenantKey + "\n");

        assertThat(ok(cli(otherHome, Map.of(), "show", "balance")).out()).startsWith("Balance: ");
    }

    @Test
    void missingExplicitCredentialsFileIsAUsageError() {
        Run r = cli(Map.of(ClientEnvironment.CREDENTIALS, home.resolve("nope").toString()), "show", "balance");

        assertThat(r.exit()).isEqualTo(CliException.USAGE);
        assertThat(r.err()).contains("does not exist");
    }

    @Test
    void unreachableServerExitsSevenNamingTheUrl() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;

        Run r = cli(Map.of(ClientEnvironment.URL, url, ClientEnvironment.API_KEY, "k"), "show", "balance");

        assertThat(r.exit()).isEqualTo(CliException.UNREACHABLE);
        assertThat(r.err()).startsWith("error: cannot reach the Flotilla server at " + url).contains("./flotilla demo")
                .endsWith("(unreachable)" + System.lineSeparator());
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void usageErrorsExitTwoOnOneLine() {
        Run missing = tenant("create", "rental");
        assertThat(missing.exit()).isEqualTo(CliException.USAGE);
        assertThat(missing.err()).contains("OFFER_ID").endsWith("(usage_error)" + System.lineSeparator());
        assertThat(missing.err().lines()).hasSize(1);

        Run noNoun = tenant("show");
        assertThat(noNoun.exit()).isEqualTo(CliException.USAGE);
        assertThat(noNoun.err()).contains("subcommand");

        Run typo = tenant("show", "rentals", "--al");
        assertThat(typo.exit()).isEqualTo(CliException.USAGE);
        assertThat(typo.err()).contains("'--al'", "did you mean '--all'?");

        Run notANumber = tenant("show", "rental", "abc");
        assertThat(notANumber.exit()).isEqualTo(CliException.USAGE);

        Run badUrl = cli(Map.of(ClientEnvironment.URL, "127.0.0.1:8080", ClientEnvironment.API_KEY, "k"), "show", "balance");
        assertThat(badUrl.exit()).isEqualTo(CliException.USAGE);
        assertThat(badUrl.err()).contains("http://127.0.0.1:8080");
    }

    @Command(name = "boom")
    static final class Boom implements Runnable {
        @picocli.CommandLine.Option(names = "--bug")
        boolean bug;

        @Override
        public void run() {
            if (bug) {
                throw new IllegalStateException("broken invariant");
            }
            throw FlotillaException.invalid("port", "port must be 0..65535, got 70000");
        }
    }

    @Test
    void handlersAlsoCoverTheRootsOtherCommands() {
        CommandLine root = new CommandLine(new Root()).addSubcommand(new Boom());
        ClientCommands.register(root, new ClientEnvironment(Map.of(), home));
        StringWriter err = new StringWriter();
        root.setErr(new PrintWriter(err, true));

        assertThat(root.execute("boom")).isEqualTo(CliException.USAGE);
        assertThat(err.toString()).isEqualTo("error: port must be 0..65535, got 70000 (invalid_argument)" + System.lineSeparator());
        err.getBuffer().setLength(0);
        assertThat(root.execute("boom", "--bug")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("error: IllegalStateException: broken invariant (internal_error)" + System.lineSeparator());
    }

    @Test
    void helpPrintsUsageAndExitsZero() {
        Run r = ok(tenant("search", "offers", "--help"));

        assertThat(r.out()).contains("Usage: flotilla search offers", "--order", "--no-default", "--json");
    }

    // ------------------------------------------------------------------ harness

    private Map<String, String> env(String key) {
        return Map.of(ClientEnvironment.URL, server.url(), ClientEnvironment.API_KEY, key);
    }

    @Test
    void planRanksConfigurationsOfTheMarketAndRejectsBadInput() throws Exception {
        Run r = ok(tenant("plan", "--model", "Llama-3.1-8B", "--input-tokens", "1000", "--output-tokens", "250", "--rps", "1",
                "--ttft-ms", "3000", "--tpot-ms", "80", "--limit", "40"));
        assertThat(r.out()).startsWith("Plan for Llama-3.1-8B (bf16 weights, 16-bit KV)")
                .contains("24GB", "$/Mtok", "configurations meet the SLO", "What other precisions buy");
        Run json = ok(tenant("plan", "--model", "Llama-3.1-8B", "--input-tokens", "1000", "--output-tokens", "250", "--rps",
                "1", "--ttft-ms", "3000", "--tpot-ms", "80", "--json"));
        JsonNode first = new ObjectMapper().readTree(json.out()).get("candidates").get(0);
        // whichever of this market's machines is free when the test runs, the best candidate is priced
        assertThat(first.get("reason").isNull()).isTrue();
        assertThat(first.get("cost_per_million_tokens").decimalValue()).isPositive();

        Run unknown = tenant("plan", "--model", "Llama-9-1T", "--input-tokens", "1000", "--output-tokens", "250", "--rps", "1",
                "--ttft-ms", "3000", "--tpot-ms", "80");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("Llama-9-1T");
        Run zero = tenant("plan", "--model", "Llama-3.1-8B", "--input-tokens", "1000", "--output-tokens", "250", "--rps", "0",
                "--ttft-ms", "3000", "--tpot-ms", "80");
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("rps");
        Run both = tenant("plan", "--input-tokens", "1", "--output-tokens", "1", "--rps", "1", "--ttft-ms", "1", "--tpot-ms",
                "1");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--model");
    }

    @Test
    void endpointsAreCreatedListedShownAndDeleted() {
        Run created = ok(tenant("endpoint", "create", "chat-cli", "--backend", "emulator", "--model", "Llama-3.1-8B",
                "--requirement", "gpu_ram>=24", "--max-workers", "2"));
        assertThat(created.out()).startsWith("Created endpoint chat-cli (emulator backend serving Llama-3.1-8B; 0-2 workers;"
                + " routing least-load; policy reactive)");
        assertThat(ok(tenant("endpoint", "list")).out()).contains("chat-cli", "emulator", "gpu_ram>=24");
        assertThat(ok(tenant("endpoint", "show", "chat-cli")).out()).contains("requirement", "least-load", "policy",
                "Scaling:");

        // an autoscaled endpoint's count belongs to its policy; manual hands it back
        Run refused = tenant("endpoint", "scale", "chat-cli", "1");
        assertThat(refused.exit()).isEqualTo(5);
        assertThat(refused.err()).contains("scaled by its reactive policy", "--policy manual");
        assertThat(ok(tenant("endpoint", "update", "chat-cli", "--policy", "predictive", "--advisory", "--target-util",
                "0.5", "--max-workers", "3")).out()).isEqualTo("Updated endpoint chat-cli: 0-3 workers, policy predictive"
                + " (advisory), target_util 0.5" + System.lineSeparator());
        assertThat(ok(tenant("endpoint", "scale", "chat-cli", "1")).out()).contains("Scaling chat-cli to 1 worker(s)");
        Run badUtil = tenant("endpoint", "update", "chat-cli", "--target-util", "1.5");
        assertThat(badUtil.exit()).isEqualTo(2);
        assertThat(badUtil.err()).contains("target_util", "(0, 1]");
        Run nothing = tenant("endpoint", "update", "chat-cli");
        assertThat(nothing.exit()).isEqualTo(2);
        assertThat(nothing.err()).contains("at least one setting");
        Run badPolicy = tenant("endpoint", "create", "p", "--backend", "emulator", "--model", "Llama-3.1-8B", "--policy",
                "psychic");
        assertThat(badPolicy.exit()).isEqualTo(2);
        assertThat(badPolicy.err()).contains("policy", "manual, reactive, predictive");
        Run impossible = tenant("endpoint", "create", "huge", "--backend", "emulator", "--model", "Llama-3.1-8B",
                "--requirement", "gpu_ram>=500");
        assertThat(impossible.exit()).isEqualTo(2);
        assertThat(impossible.err()).contains("no offer in the market meets");
        assertThat(ok(tenant("endpoint", "delete", "chat-cli")).out()).contains("Deleted endpoint chat-cli");
        assertThat(tenant("endpoint", "show", "chat-cli").exit()).isEqualTo(4);
    }

    private Run admin(String... args) {
        return cli(env(adminKey), args);
    }

    private Run tenant(String... args) {
        return cli(env(tenantKey), args);
    }

    private Run host(String... args) {
        return cli(env(hostToken), args);
    }

    private Run cli(Map<String, String> env, String... args) {
        return cli(home, env, args);
    }

    /** One invocation of the CLI, as from a shell: a fresh command tree, its own output. */
    private static Run cli(Path home, Map<String, String> env, String... args) {
        CommandLine root = new CommandLine(new Root());
        ClientCommands.register(root, new ClientEnvironment(env, home));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        root.setOut(new PrintWriter(out, true));
        root.setErr(new PrintWriter(err, true));
        int exit = root.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static Run ok(Run r) {
        assertThat(r.exit()).as("exit code; stderr: %s", r.err()).isZero();
        assertThat(r.err()).isEmpty();
        return r;
    }
}
