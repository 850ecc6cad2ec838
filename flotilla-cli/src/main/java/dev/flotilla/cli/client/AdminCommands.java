package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The operator's commands: create tenants and hosts, add credit. They present the admin key. */
final class AdminCommands {
    private AdminCommands() {}

    abstract static class AdminCommand extends ClientCommand {
        AdminCommand(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        final ConnectionOptions.Role role() {
            return ConnectionOptions.Role.ADMIN;
        }
    }

    @Command(name = "tenant", sortOptions = false, description = "Create a tenant and print its API key (shown only once).")
    static final class CreateTenant extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Letters, digits or _.@- (1-100).")
        String name;

        @Option(names = "--credit", paramLabel = "DOLLARS", description = "Initial credit, e.g. 100.")
        BigDecimal credit;

        CreateTenant(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            if (credit != null) {
                body.put("credit", credit);
            }
            JsonNode r = api.post("/api/v1/tenants", body);
            if (printedJson(r)) {
                return;
            }
            out().printf("Created tenant %s (id %s), balance %s%n", Fmt.text(r.path("name")), Fmt.text(r.path("id")),
                    Fmt.money(r.path("balance")));
            out().printf("API key (shown only now): %s%n", Fmt.text(r.path("api_key")));
        }
    }

    @Command(name = "host", sortOptions = false, description = "Create a host and print its host token (shown only once).")
    static final class CreateHost extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Letters, digits or _.@- (1-100).")
        String name;

        @Option(names = "--external", description = "A host outside the operator's own fleet (offers show external=true).")
        boolean external;

        CreateHost(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.post("/api/v1/hosts", Map.of("name", name, "external", external));
            if (printedJson(r)) {
                return;
            }
            out().printf("Created host %s (id %s%s)%n", Fmt.text(r.path("name")), Fmt.text(r.path("id")),
                    r.path("external").asBoolean() ? ", external" : "");
            out().printf("Host token (shown only now): %s%n", Fmt.text(r.path("host_token")));
        }
    }

    @Command(name = "credit", sortOptions = false, description = "Add credit to a tenant's balance.")
    static final class AddCredit extends AdminCommand {
        @Parameters(index = "0", paramLabel = "TENANT_ID", description = "The tenant.")
        long tenantId;

        @Parameters(index = "1", paramLabel = "AMOUNT", description = "Dollars, e.g. 25 or 12.50.")
        BigDecimal amount;

        @Option(names = "--idempotency-key", paramLabel = "KEY",
                description = "Makes a retried command add the credit once: the same key never credits twice.")
        String idempotencyKey;

        AddCredit(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("amount", amount);
            if (idempotencyKey != null) {
                body.put("idempotency_key", idempotencyKey);
            }
            JsonNode r = api.post("/api/v1/tenants/" + tenantId + "/credit", body);
            if (printedJson(r)) {
                return;
            }
            out().printf("Added %s to tenant %d; balance is now %s%n", Fmt.money(Json.mapper().getNodeFactory().numberNode(amount)),
                    tenantId, Fmt.money(r.path("balance")));
        }
    }
}
