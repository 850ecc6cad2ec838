package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** A tenant's rentals: create, show, stop, start, destroy, and the event feed. */
final class RentalCommands {
    private RentalCommands() {}

    /** Base of the tenant's commands. */
    abstract static class TenantCommand extends ClientCommand {
        TenantCommand(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        final ConnectionOptions.Role role() {
            return ConnectionOptions.Role.TENANT;
        }
    }

    @Command(name = "rental", sortOptions = false,
            description = "Rent an offer (an ID from 'flotilla search offers'). --bid alone makes it an interruptible"
                    + " (bid) rental; --days alone makes it reserved, prepaid at the host's discount.",
            footer = {"", "Examples:", "  flotilla create rental 201", "  flotilla create rental 201 --bid 0.25",
                "  flotilla create rental 202 --days 30"})
    static final class CreateRental extends TenantCommand {
        @Parameters(index = "0", paramLabel = "OFFER_ID", description = "The offer to rent.")
        long offerId;

        @Option(names = "--type", paramLabel = "TYPE", description = "on-demand (default), bid or reserved.")
        String type;

        @Option(names = "--bid", paramLabel = "PRICE", description = "Bid in $/h for the whole offer (implies --type bid).")
        BigDecimal bid;

        @Option(names = "--days", paramLabel = "N", description = "Days to reserve, prepaid at the discount (implies --type reserved).")
        Integer days;

        @Option(names = "--disk", paramLabel = "GB", description = "Disk to allocate in GB (server default applies).")
        Integer disk;

        CreateRental(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            String t = type != null ? type : bid != null ? "bid" : days != null ? "reserved" : "on-demand";
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("offer_id", offerId);
            body.put("type", t);
            if (bid != null) {
                body.put("bid", bid);
            }
            if (disk != null) {
                body.put("disk", disk);
            }
            if (days != null) {
                body.put("reserved_days", days);
            }
            JsonNode r = api.post("/api/v1/rentals", body);
            if (printedJson(r)) {
                return;
            }
            String prepaid = r.path("prepaid").isNumber() && r.path("prepaid").decimalValue().signum() > 0
                    ? ", prepaid " + Fmt.money(r.path("prepaid")) + " until " + Fmt.instant(r.path("reserved_until"))
                    : "";
            out().printf("Rented offer %d as rental %s (%s, %s GPU(s) on machine %s at %s/h%s)%n", offerId,
                    Fmt.text(r.path("id")), Fmt.text(r.path("type")), Fmt.text(r.path("num_gpus")),
                    Fmt.text(r.path("machine_id")), Fmt.money(r.path("price_per_hour")), prepaid);
        }
    }

    @Command(name = "rentals", sortOptions = false, description = "Show your rentals (live ones unless --all).")
    static final class ShowRentals extends TenantCommand {
        @Option(names = "--all", description = "Include ended rentals.")
        boolean all;

        ShowRentals(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.get("/api/v1/rentals", all ? Map.of("all", "true") : Map.of());
            if (printedJson(r)) {
                return;
            }
            if (r.path("rentals").isEmpty()) {
                out().println(all ? "No rentals." : "No live rentals (--all includes ended ones).");
                return;
            }
            Table t = new Table().left("ID").left("OFFER").left("MACHINE").left("TYPE").left("STATE").right("GPUS")
                    .right("$/h").right("DISK").right("CHARGED").left("CREATED").left("REASON");
            for (JsonNode x : r.path("rentals")) {
                t.row(Fmt.text(x.path("id")), Fmt.text(x.path("offer_id")), Fmt.text(x.path("machine_id")),
                        Fmt.text(x.path("type")), Fmt.text(x.path("state")), Fmt.text(x.path("num_gpus")),
                        Fmt.money(x.path("price_per_hour"), 4), Fmt.text(x.path("disk_gb")) + " GB",
                        Fmt.money(x.path("total_charged"), 4), Fmt.instant(x.path("created_at")), Fmt.text(x.path("state_reason")));
            }
            t.print(out());
        }
    }

    @Command(name = "rental", sortOptions = false, description = "Show one rental and its events.")
    static final class ShowRental extends TenantCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The rental.")
        long id;

        ShowRental(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.get("/api/v1/rentals/" + id, Map.of());
            JsonNode events = api.get("/api/v1/rentals/" + id + "/events", Map.of()).path("events");
            if (json) {
                // the rental as the server sends it, with its events added under "events"
                ObjectNode both = r.deepCopy();
                both.set("events", events);
                printedJson(both);
                return;
            }
            PrintWriter out = out();
            Table kv = new Table().left("").left("");
            kv.row("id", Fmt.text(r.path("id")));
            kv.row("state", Fmt.text(r.path("state")) + " (" + Fmt.text(r.path("state_reason")) + ")");
            kv.row("type", Fmt.text(r.path("type")));
            kv.row("offer", Fmt.text(r.path("offer_id")));
            kv.row("machine", Fmt.text(r.path("machine_id")));
            kv.row("gpus", Fmt.text(r.path("num_gpus")) + " " + r.path("gpus"));
            kv.row("price", Fmt.money(r.path("price_per_hour")) + "/h");
            kv.row("prepaid", Fmt.money(r.path("prepaid")));
            kv.row("reserved until", Fmt.instant(r.path("reserved_until")));
            kv.row("disk", Fmt.text(r.path("disk_gb")) + " GB");
            kv.row("created", Fmt.instant(r.path("created_at")));
            kv.row("ended", Fmt.instant(r.path("ended_at")));
            kv.row("metered until", Fmt.instant(r.path("metered_until")));
            kv.row("gpu charged", Fmt.money(r.path("gpu_charged")));
            kv.row("storage charged", Fmt.money(r.path("storage_charged")));
            kv.row("bandwidth", Fmt.text(r.path("bandwidth_bytes")) + " bytes, " + Fmt.money(r.path("bandwidth_charged")));
            kv.row("total charged", Fmt.money(r.path("total_charged")));
            kv.printRows(out);
            out.println();
            out.println("Events:");
            printEvents(out, events, false);
        }
    }

    @Command(name = "events", sortOptions = false, description = "Show your rentals' events (oldest first).")
    static final class ShowEvents extends TenantCommand {
        @Option(names = "--after", paramLabel = "ID", description = "Only events after this event ID (for polling).")
        Long after;

        @Option(names = "--limit", paramLabel = "N", description = "At most N events (server default 100).")
        Integer limit;

        ShowEvents(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            Map<String, String> q = new LinkedHashMap<>();
            if (after != null) {
                q.put("after", after.toString());
            }
            if (limit != null) {
                q.put("limit", limit.toString());
            }
            JsonNode r = api.get("/api/v1/events", q);
            if (printedJson(r)) {
                return;
            }
            printEvents(out(), r.path("events"), true);
        }
    }

    static void printEvents(PrintWriter out, JsonNode events, boolean withRental) {
        if (events.isEmpty()) {
            out.println("No events.");
            return;
        }
        Table t = new Table().left("ID");
        if (withRental) {
            t.left("RENTAL");
        }
        t.left("AT").left("KIND").left("DETAIL");
        for (JsonNode e : events) {
            if (withRental) {
                t.row(Fmt.text(e.path("id")), Fmt.text(e.path("rental_id")), Fmt.instant(e.path("at")), Fmt.text(e.path("kind")),
                        Fmt.text(e.path("detail")));
            } else {
                t.row(Fmt.text(e.path("id")), Fmt.instant(e.path("at")), Fmt.text(e.path("kind")), Fmt.text(e.path("detail")));
            }
        }
        t.print(out);
    }

    /** stop, start and destroy: one call on one rental, then its new state. */
    abstract static class ChangeRental extends TenantCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The rental.")
        long id;

        ChangeRental(ClientEnvironment environment) {
            super(environment);
        }

        abstract JsonNode change(ApiClient api);

        abstract String done();

        @Override
        final void run(ApiClient api) {
            JsonNode r = change(api);
            if (printedJson(r)) {
                return;
            }
            out().printf("%s rental %d: %s (%s); charged %s so far%n", done(), id, Fmt.text(r.path("state")),
                    Fmt.text(r.path("state_reason")), Fmt.money(r.path("total_charged")));
        }
    }

    @Command(name = "rental", description = "Stop a rental: its GPUs are released, its disk kept (and billed).")
    static final class StopRental extends ChangeRental {
        StopRental(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        JsonNode change(ApiClient api) {
            return api.post("/api/v1/rentals/" + id + "/stop");
        }

        @Override
        String done() {
            return "Stopped";
        }
    }

    @Command(name = "rental", description = "Start a stopped or preempted rental again on its machine.")
    static final class StartRental extends ChangeRental {
        StartRental(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        JsonNode change(ApiClient api) {
            return api.post("/api/v1/rentals/" + id + "/start");
        }

        @Override
        String done() {
            return "Started";
        }
    }

    @Command(name = "rental", description = "Destroy a rental: nothing is held or billed any more. Cannot be undone.")
    static final class DestroyRental extends ChangeRental {
        DestroyRental(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        JsonNode change(ApiClient api) {
            return api.delete("/api/v1/rentals/" + id);
        }

        @Override
        String done() {
            return "Destroyed";
        }
    }
}
