package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Money: a tenant's balance and invoices, a host's earnings. */
final class AccountCommands {
    private AccountCommands() {}

    @Command(name = "balance", description = "Show your credit balance.")
    static final class ShowBalance extends RentalCommands.TenantCommand {
        ShowBalance(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.get("/api/v1/balance", Map.of());
            if (printedJson(r)) {
                return;
            }
            out().printf("Balance: %s (tenant %s)%n", Fmt.money(r.path("balance")), Fmt.text(r.path("tenant_id")));
        }
    }

    /** A monthly statement: invoices for a tenant, earnings for a host. */
    abstract static class Statement extends ClientCommand {
        @Option(names = "--period", paramLabel = "YYYY-MM", description = "The month (UTC); default: the current one.")
        String period;

        Statement(ClientEnvironment environment) {
            super(environment);
        }

        abstract String path();

        abstract String title();

        @Override
        final void run(ApiClient api) {
            JsonNode r = api.get(path(), period == null ? Map.of() : Map.of("period", period));
            if (printedJson(r)) {
                return;
            }
            PrintWriter out = out();
            out.printf("%s for %s (account %s)%n", title(), Fmt.text(r.path("period")), Fmt.text(r.path("account")));
            if (r.path("lines").isEmpty()) {
                out.println("No entries in this period.");
            } else {
                Table t = new Table().left("RENTAL").left("KIND").right("AMOUNT");
                for (JsonNode l : r.path("lines")) {
                    t.row(Fmt.text(l.path("rental_id")), Fmt.text(l.path("kind")), Fmt.money(l.path("amount")));
                }
                t.print(out);
            }
            if (r.path("account").asText().startsWith("host:")) {
                out.printf("Earnings: %s   Balance: %s%n", Fmt.money(r.path("total")), Fmt.money(r.path("balance")));
            } else {
                out.printf("Charges: %s   Credits: %s   Balance: %s%n", Fmt.money(r.path("total")),
                        Fmt.money(r.path("credits")), Fmt.money(r.path("balance")));
            }
        }
    }

    @Command(name = "invoices", sortOptions = false, description = "Show your invoice for a month: charges by rental and kind.")
    static final class ShowInvoices extends Statement {
        ShowInvoices(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        ConnectionOptions.Role role() {
            return ConnectionOptions.Role.TENANT;
        }

        @Override
        String path() {
            return "/api/v1/invoices";
        }

        @Override
        String title() {
            return "Invoice";
        }
    }

    @Command(name = "earnings", sortOptions = false, description = "Show a host's earnings for a month, after the platform fee.")
    static final class ShowEarnings extends Statement {
        ShowEarnings(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        ConnectionOptions.Role role() {
            return ConnectionOptions.Role.HOST;
        }

        @Override
        String path() {
            return "/api/v1/earnings";
        }

        @Override
        String title() {
            return "Earnings";
        }
    }
}
