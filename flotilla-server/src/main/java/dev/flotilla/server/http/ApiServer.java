package dev.flotilla.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.market.machine.MaintenanceWindow;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import dev.flotilla.market.query.OfferQuery;
import dev.flotilla.market.query.OfferSearch;
import dev.flotilla.market.query.SearchContext;
import dev.flotilla.market.query.SortOrder;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.server.market.MachineSpec;
import dev.flotilla.planner.recommend.Recommender;
import dev.flotilla.server.endpoint.EndpointService;
import dev.flotilla.store.EndpointRepo;
import dev.flotilla.server.market.MarketService;
import dev.flotilla.server.plan.PlanService;
import dev.flotilla.server.serving.ServingService;
import dev.flotilla.store.Principal;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's HTTP API ({@code /api/v1}), health and metrics, on Vert.x. Handlers that
 * touch the database run on virtual threads, never on the event loop; their result is written
 * back on the request's own context. Every failure leaves as the one error shape:
 *
 * <pre>
 *   {"error": {"code": "invalid_query", "number": 1001, "status": 400, "field": "gpu_nme",
 *              "message": "unknown field 'gpu_nme'; did you mean 'gpu_name'?"}}
 * </pre>
 */
public final class ApiServer {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final int DEFAULT_LIMIT = 50;

    private final Vertx vertx;
    private final MarketService market;
    private final FlotillaConfig config;
    private final PrometheusMeterRegistry registry;
    private final ExecutorService blocking;
    private final PlanService plans;
    private final EndpointService endpoints;
    private final ServingService serving;
    private final ObjectMapper json = new ObjectMapper();
    private HttpServer server;

    /** What a route does once its caller is known; returns the JSON body. */
    @FunctionalInterface
    interface Action {
        Object run(Principal caller, RoutingContext ctx) throws Exception;
    }

    public ApiServer(Vertx vertx, MarketService market, ServingService serving, FlotillaConfig config,
            PrometheusMeterRegistry registry, ExecutorService blocking) {
        this.vertx = vertx;
        this.market = market;
        this.serving = serving;
        this.config = config;
        this.registry = registry;
        this.blocking = blocking;
        this.plans = new PlanService(market.offers(), Recommender.standard());
        this.endpoints = new EndpointService(market.database(), market.clock(), market.offers());
    }

    public int start() {
        Router router = router();
        server = vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort()))
                .requestHandler(router)
                .listen()
                .toCompletionStage().toCompletableFuture().join();
        return server.actualPort();
    }

    public void stop() {
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();
        }
    }

    Router router() {
        Router r = Router.router(vertx);
        r.route().handler(this::timeRequest);
        r.route().handler(BodyHandler.create().setBodyLimit(config.maxBodyBytes()).setHandleFileUploads(false));

        r.get("/health/live").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
                .end("{\"status\":\"up\"}"));
        r.get("/health/ready").handler(ctx -> offload(ctx, () -> {
            boolean ok = market.database().ping();
            return new Reply(ok ? 200 : 503, Map.of("status", ok ? "ready" : "database unreachable"));
        }));
        r.get("/metrics").handler(ctx -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4")
                .end(registry.scrape()));

        r.get("/api/v1/gpus").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
                .end(write(Map.of("gpus", market.catalog().all().stream().map(Views::gpu).toList()))));
        route(r, HttpMethod.GET, "/api/v1/whoami", Set.of(), (p, ctx) -> Views.principal(p));

        // admin
        route(r, HttpMethod.POST, "/api/v1/tenants", Set.of(Principal.Kind.ADMIN), this::createTenant);
        route(r, HttpMethod.GET, "/api/v1/tenants", Set.of(Principal.Kind.ADMIN),
                (p, ctx) -> Map.of("tenants", market.principals(Principal.Kind.TENANT).stream().map(Views::principal).toList()));
        route(r, HttpMethod.POST, "/api/v1/tenants/:id/credit", Set.of(Principal.Kind.ADMIN), this::addCredit);
        route(r, HttpMethod.POST, "/api/v1/hosts", Set.of(Principal.Kind.ADMIN), this::createHost);
        route(r, HttpMethod.GET, "/api/v1/hosts", Set.of(Principal.Kind.ADMIN),
                (p, ctx) -> Map.of("hosts", market.principals(Principal.Kind.HOST).stream().map(Views::principal).toList()));

        // search: any authenticated caller
        route(r, HttpMethod.GET, "/api/v1/offers", Set.of(), (p, ctx) -> search(ctx.queryParams(), Optional.empty()));
        route(r, HttpMethod.POST, "/api/v1/offers/search", Set.of(), (p, ctx) -> search(MultiMap.caseInsensitiveMultiMap(),
                Optional.of(body(ctx))));

        // planner: any authenticated caller
        route(r, HttpMethod.POST, "/api/v1/plan", Set.of(), (p, ctx) -> {
            PlanJson.Parsed in = PlanJson.parse(json, body(ctx));
            return PlanJson.render(in, plans.plan(in.request(), in.capacity()));
        });

        // tenants
        Set<Principal.Kind> tenant = Set.of(Principal.Kind.TENANT);
        route(r, HttpMethod.POST, "/api/v1/rentals", tenant, this::rent);
        route(r, HttpMethod.GET, "/api/v1/rentals", tenant, (p, ctx) -> {
            boolean all = flag(ctx.queryParams(), "all", Set.of("all"));
            return Map.of("rentals", market.rentalsOf(p.id(), all).stream().map(Views::rental).toList());
        });
        route(r, HttpMethod.GET, "/api/v1/rentals/:id", tenant, (p, ctx) -> Views.rental(market.rentalOf(p.id(), id(ctx))));
        route(r, HttpMethod.GET, "/api/v1/rentals/:id/events", tenant,
                (p, ctx) -> Map.of("events", market.eventsOfRental(p.id(), id(ctx)).stream().map(Views::event).toList()));
        route(r, HttpMethod.POST, "/api/v1/rentals/:id/stop", tenant, (p, ctx) -> Views.rental(market.stop(p.id(), id(ctx))));
        route(r, HttpMethod.POST, "/api/v1/rentals/:id/start", tenant, (p, ctx) -> Views.rental(market.start(p.id(), id(ctx))));
        route(r, HttpMethod.DELETE, "/api/v1/rentals/:id", tenant, (p, ctx) -> Views.rental(market.destroy(p.id(), id(ctx))));
        route(r, HttpMethod.GET, "/api/v1/events", tenant, (p, ctx) -> {
            MultiMap q = ctx.queryParams();
            onlyParams(q, Set.of("after", "limit"));
            long after = longParam(q, "after", 0);
            int limit = (int) longParam(q, "limit", 100);
            return Map.of("events", market.events(p.id(), after, limit).stream().map(Views::event).toList());
        });
        route(r, HttpMethod.GET, "/api/v1/balance", tenant,
                (p, ctx) -> Map.of("tenant_id", p.id(), "balance", Views.dollars(market.balance(p.id()))));
        route(r, HttpMethod.GET, "/api/v1/invoices", tenant,
                (p, ctx) -> Views.statement(market.invoice(p.id(), period(ctx.queryParams()))));

        // serverless endpoints (tenants)
        route(r, HttpMethod.POST, "/api/v1/endpoints", tenant, (p, ctx) -> {
            JsonBody b = body(ctx);
            long maxQueueMs = b.optLong("max_queue_ms").orElse(30_000L);
            // The default target queue time is 2 s, or the whole queue time when that is shorter.
            EndpointRepo.Scaling scaling = new EndpointRepo.Scaling(b.optString("policy").orElse("reactive"),
                    b.bool("advisory", false), b.optDouble("min_load").orElse(0.0), b.optDouble("target_util").orElse(0.7),
                    b.optDouble("cold_mult").orElse(2.0),
                    b.optLong("target_queue_ms").orElse(Math.min(2_000L, Math.max(1L, maxQueueMs))));
            EndpointService.Spec spec = new EndpointService.Spec(b.string("name"), b.string("backend"), b.string("model"),
                    b.optString("requirement").orElse(""), b.optString("capacity").orElse("interruptible"),
                    b.intValue("min_workers", 0), b.intValue("max_workers", 1), b.intValue("cold_workers", 0),
                    maxQueueMs, b.optLong("inactivity_timeout_s").orElse(300L),
                    b.optString("routing").orElse(null), scaling, b.optInt("initial_workers").orElse(null));
            b.finish();
            var created = endpoints.create(p.id(), spec);
            serving.changed(created.id());
            return new Reply(201, Views.endpoint(created));
        });
        route(r, HttpMethod.GET, "/api/v1/endpoints", tenant,
                (p, ctx) -> Map.of("endpoints", endpoints.list(p.id()).stream().map(Views::endpoint).toList()));
        route(r, HttpMethod.GET, "/api/v1/endpoints/:name", tenant, (p, ctx) -> {
            String name = ctx.pathParam("name");
            Map<String, Object> view = Views.endpoint(endpoints.get(p.id(), name));
            view.put("workers", serving.workers(p.id(), name, false).stream().map(Views::worker).toList());
            return view;
        });
        route(r, HttpMethod.PATCH, "/api/v1/endpoints/:name", tenant, (p, ctx) -> {
            JsonBody b = body(ctx);
            EndpointService.Update u = new EndpointService.Update(b.optInt("min_workers"), b.optInt("max_workers"),
                    b.optInt("cold_workers"), b.optLong("max_queue_ms"), b.optLong("inactivity_timeout_s"),
                    b.optString("routing"), b.optString("policy"), b.optBool("advisory"), b.optDouble("min_load"),
                    b.optDouble("target_util"), b.optDouble("cold_mult"), b.optLong("target_queue_ms"));
            b.finish();
            var updated = endpoints.update(p.id(), ctx.pathParam("name"), u);
            serving.changed(updated.id());
            return Views.endpoint(updated);
        });
        route(r, HttpMethod.POST, "/api/v1/endpoints/:name/scale", tenant, (p, ctx) -> {
            JsonBody b = body(ctx);
            Integer n = b.optInt("workers").orElse(null);
            b.finish();
            return Views.endpoint(serving.scale(p.id(), ctx.pathParam("name"), n));
        });
        route(r, HttpMethod.GET, "/api/v1/endpoints/:name/workers", tenant, (p, ctx) -> Map.of("workers",
                serving.workers(p.id(), ctx.pathParam("name"), flag(ctx.queryParams(), "all", Set.of("all"))).stream()
                        .map(Views::worker).toList()));
        route(r, HttpMethod.GET, "/api/v1/workers/:id", tenant, (p, ctx) -> {
            ServingService.Detail d = serving.worker(p.id(), id(ctx));
            Map<String, Object> view = Views.worker(d.worker());
            view.put("events", d.events().stream().map(e -> Map.of("at", e.at().toString(), "state", e.state().wireName(),
                    "reason", e.reason())).toList());
            return view;
        });
        route(r, HttpMethod.GET, "/api/v1/workers/:id/logs", tenant, (p, ctx) -> Map.of("lines",
                serving.logs(p.id(), id(ctx), limitParam(ctx.queryParams())).stream()
                        .map(l -> Map.of("at", l.at().toString(), "line", l.line())).toList()));
        route(r, HttpMethod.GET, "/api/v1/usage", tenant, (p, ctx) -> {
            onlyParams(ctx.queryParams(), Set.of("from", "to"));
            Instant to = instantParam(ctx.queryParams(), "to").orElse(market.clock().instant().plusSeconds(1));
            Instant from = instantParam(ctx.queryParams(), "from").orElse(to.minus(java.time.Duration.ofDays(30)));
            return Map.of("from", from.toString(), "to", to.toString(), "endpoints",
                    serving.usage(p.id(), from, to).stream().map(Views::usage).toList());
        });
        route(r, HttpMethod.DELETE, "/api/v1/endpoints/:name", tenant, (p, ctx) -> {
            long id = endpoints.get(p.id(), ctx.pathParam("name")).id();
            endpoints.delete(p.id(), ctx.pathParam("name"));
            serving.changed(id);
            return Map.of("deleted", ctx.pathParam("name"));
        });

        // hosts
        Set<Principal.Kind> host = Set.of(Principal.Kind.HOST);
        route(r, HttpMethod.POST, "/api/v1/machines", host, this::listMachine);
        route(r, HttpMethod.GET, "/api/v1/machines", host, (p, ctx) -> {
            Map<Long, List<MaintenanceWindow>> windows = market.maintenanceOfHost(p.id());
            Instant now = market.clock().instant();
            return Map.of("machines", market.machinesOf(p.id()).stream().map(m -> Views.machine(m, now,
                    config.heartbeatTimeout(), windows.getOrDefault(m.id(), List.of()))).toList());
        });
        route(r, HttpMethod.GET, "/api/v1/machines/:id", host, (p, ctx) -> machineView(p, market.machineOf(p.id(), id(ctx))));
        route(r, HttpMethod.DELETE, "/api/v1/machines/:id", host,
                (p, ctx) -> machineView(p, market.setListed(p.id(), id(ctx), false)));
        route(r, HttpMethod.POST, "/api/v1/machines/:id/unlist", host,
                (p, ctx) -> machineView(p, market.setListed(p.id(), id(ctx), false)));
        route(r, HttpMethod.POST, "/api/v1/machines/:id/list", host,
                (p, ctx) -> machineView(p, market.setListed(p.id(), id(ctx), true)));
        route(r, HttpMethod.POST, "/api/v1/machines/:id/maintenance", host, (p, ctx) -> {
            JsonBody b = body(ctx);
            Instant start = b.instant("start");
            Instant end = b.instant("end");
            b.finish();
            market.addMaintenance(p.id(), id(ctx), start, end);
            return machineView(p, market.machineOf(p.id(), id(ctx)));
        });
        route(r, HttpMethod.POST, "/api/v1/machines/:id/heartbeat", host,
                (p, ctx) -> machineView(p, market.heartbeat(p.id(), id(ctx))));
        route(r, HttpMethod.GET, "/api/v1/machines/:id/workers", host, (p, ctx) -> Map.of("workers",
                serving.assignments(p.id(), id(ctx)).stream().map(Views::assignment).toList()));
        route(r, HttpMethod.POST, "/api/v1/workers/:id/report", host, (p, ctx) -> {
            ServingService.Report report = workerReport(body(ctx));
            var w = serving.report(p.id(), id(ctx), report);
            return Map.of("id", Long.toString(w.id()), "state", w.state().wireName(),
                    "desired", w.state() == dev.flotilla.store.WorkerRepo.State.DRAINING ? "stop" : "run");
        });
        route(r, HttpMethod.GET, "/api/v1/earnings", host,
                (p, ctx) -> Views.statement(market.earnings(p.id(), period(ctx.queryParams()))));
        route(r, HttpMethod.GET, "/api/v1/host/rentals", host,
                (p, ctx) -> Map.of("rentals", market.rentalsOnHost(p.id()).stream().map(Views::rental).toList()));
        route(r, HttpMethod.POST, "/api/v1/host/rentals/:id/bandwidth", host, (p, ctx) -> {
            JsonBody b = body(ctx);
            long bytes = b.longValue("bytes");
            String reportId = b.string("report_id");
            b.finish();
            return Views.rental(market.reportBandwidth(p.id(), id(ctx), bytes, reportId));
        });
        route(r, HttpMethod.POST, "/api/v1/host/rentals/:id/start-report", host, (p, ctx) -> {
            JsonBody b = body(ctx);
            boolean ok = b.bool("ok", true);
            b.finish();
            market.reportStart(p.id(), id(ctx), ok);
            return Map.of("rental_id", id(ctx), "ok", ok);
        });

        r.route().handler(ctx -> error(ctx, new FlotillaException(ErrorCode.NOT_FOUND, null,
                "no such endpoint: " + ctx.request().method() + " " + ctx.request().path())));
        r.route().failureHandler(this::failure);
        return r;
    }

    // ------------------------------------------------------------------ handlers

    private Object createTenant(Principal admin, RoutingContext ctx) {
        JsonBody b = body(ctx);
        String name = b.string("name");
        Optional<Money> credit = b.optMoney("credit");
        b.finish();
        credit.ifPresent(c -> {
            if (!c.isPositive()) {
                throw FlotillaException.invalid("credit", "credit must be positive, got " + c);
            }
        });
        MarketService.Created created = market.createPrincipal(Principal.Kind.TENANT, name, false);
        credit.ifPresent(c -> market.credit(created.principal().id(), c, "initial"));
        Map<String, Object> out = new LinkedHashMap<>(Views.principal(created.principal()));
        out.put("api_key", created.apiKey());
        out.put("balance", Views.dollars(market.balance(created.principal().id())));
        return new Reply(201, out);
    }

    private Object createHost(Principal admin, RoutingContext ctx) {
        JsonBody b = body(ctx);
        String name = b.string("name");
        boolean external = b.bool("external", false);
        b.finish();
        MarketService.Created created = market.createPrincipal(Principal.Kind.HOST, name, external);
        Map<String, Object> out = new LinkedHashMap<>(Views.principal(created.principal()));
        out.put("host_token", created.apiKey());
        return new Reply(201, out);
    }

    private Object addCredit(Principal admin, RoutingContext ctx) {
        JsonBody b = body(ctx);
        Money amount = b.money("amount");
        String key = b.optString("idempotency_key").orElse(UUID.randomUUID().toString());
        b.finish();
        long tenantId = id(ctx);
        market.principal(tenantId, Principal.Kind.TENANT);
        return Map.of("tenant_id", tenantId, "balance", Views.dollars(market.credit(tenantId, amount, key)));
    }

    private Object rent(Principal p, RoutingContext ctx) {
        JsonBody b = body(ctx);
        long offerId = b.longValue("offer_id");
        RentalType type = b.optString("type").map(t -> RentalType.parse("type", t)).orElse(RentalType.ON_DEMAND);
        Optional<Money> bid = b.optMoney("bid");
        Optional<Integer> disk = b.optInt("disk");
        Optional<Integer> days = b.optInt("reserved_days");
        b.finish();
        var rental = market.rent(p.id(), new MarketService.RentRequest(offerId, type, bid,
                disk.map(OptionalInt::of).orElse(OptionalInt.empty()), days.map(OptionalInt::of).orElse(OptionalInt.empty())));
        return new Reply(201, Views.rental(rental));
    }

    private Object listMachine(Principal p, RoutingContext ctx) {
        JsonBody b = body(ctx);
        MachineSpec spec = new MachineSpec(
                b.string("gpu_name"),
                b.optDouble("gpu_ram"),
                (int) b.longValue("num_gpus"),
                b.doubleValue("cpu_cores"),
                b.doubleValue("cpu_ram"),
                b.optString("cpu_arch").orElse("x86_64"),
                b.doubleValue("disk_space"),
                b.optDouble("disk_bw").orElse(1000.0),
                b.doubleValue("inet_up"),
                b.doubleValue("inet_down"),
                b.intValue("direct_port_count", 0),
                b.bool("static_ip", false),
                b.string("country"),
                b.string("region"),
                b.doubleValue("cuda_vers"),
                b.string("driver_version"),
                b.money("price_per_gpu_hour"),
                b.money("min_bid_per_gpu_hour"),
                b.optMoney("storage_per_gb_month").orElse(Money.ZERO),
                b.optMoney("bandwidth_per_tb").orElse(Money.ZERO),
                b.intValue("reserved_discount_bps", 2000),
                b.intValue("min_gpus", 1),
                b.optInstant("end_date"),
                b.bool("datacenter", false));
        b.finish();
        Machine m = market.listMachine(p.id(), spec);
        return new Reply(201, machineView(p, m));
    }

    private Map<String, Object> machineView(Principal host, Machine m) {
        return Views.machine(m, market.clock().instant(), config.heartbeatTimeout(), market.maintenanceOf(host.id(), m.id()));
    }

    private static final Set<String> SEARCH_PARAMS = Set.of("q", "order", "limit", "type", "disk", "no_default");

    /** Search from query parameters (GET) or a JSON body (POST), with the same names. */
    private Object search(MultiMap params, Optional<JsonBody> body) {
        String q;
        String order;
        int limit;
        String type;
        double disk;
        boolean noDefault;
        if (body.isPresent()) {
            JsonBody b = body.get();
            q = b.optString("q").orElse("");
            order = b.optString("order").orElse("");
            limit = b.intValue("limit", DEFAULT_LIMIT);
            type = b.optString("type").orElse("on-demand");
            disk = b.optDouble("disk").orElse((double) config.defaultDiskGb());
            noDefault = b.bool("no_default", false);
            b.finish();
        } else {
            onlyParams(params, SEARCH_PARAMS);
            q = Optional.ofNullable(params.get("q")).orElse("");
            order = Optional.ofNullable(params.get("order")).orElse("");
            limit = (int) longParam(params, "limit", DEFAULT_LIMIT);
            type = Optional.ofNullable(params.get("type")).orElse("on-demand");
            disk = doubleParam(params, "disk", config.defaultDiskGb());
            noDefault = flag(params, "no_default", SEARCH_PARAMS);
        }
        OfferSearch.checkLimit(limit);
        if (!(disk > 0) || disk > 100_000) {
            throw FlotillaException.invalid("disk", "disk must be a size in GB between 0 and 100000, got " + disk);
        }
        SearchContext ctx = new SearchContext(RentalType.parse("type", type), disk);
        OfferQuery query = OfferQuery.parse(q, !noDefault);
        SortOrder sort = order.isBlank() ? SortOrder.DEFAULT : SortOrder.parse(order);
        List<Offer> found = market.offers().search(query, sort, limit, ctx);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("query", query.toString());
        out.put("order", sort.toString());
        out.put("type", ctx.type().wireName());
        out.put("matches", market.offers().count(query, ctx));
        out.put("offers", found.stream().map(o -> Views.offer(o, ctx)).toList());
        return out;
    }

    // ------------------------------------------------------------------ plumbing

    /** A body with an explicit status. */
    record Reply(int status, Object body) {}

    private void route(Router r, HttpMethod method, String path, Set<Principal.Kind> roles, Action action) {
        r.route(method, path).handler(ctx -> {
            String auth = ctx.request().getHeader("Authorization");
            offload(ctx, () -> {
                Principal p = authenticate(auth);
                if (!roles.isEmpty() && !roles.contains(p.kind())) {
                    throw new FlotillaException(ErrorCode.FORBIDDEN, null, method + " " + path + " is for "
                            + roles.stream().map(Principal.Kind::wireName).sorted().toList() + " credentials; yours are "
                            + p.kind().wireName());
                }
                return action.run(p, ctx);
            });
        });
    }

    private Principal authenticate(String header) {
        if (header == null || header.isBlank()) {
            throw new FlotillaException(ErrorCode.UNAUTHENTICATED, "Authorization",
                    "missing credentials: send 'Authorization: Bearer <api key>'");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new FlotillaException(ErrorCode.UNAUTHENTICATED, "Authorization",
                    "Authorization must be 'Bearer <api key>'");
        }
        return market.authenticate(header.substring(7).trim()).orElseThrow(() -> new FlotillaException(
                ErrorCode.UNAUTHENTICATED, "Authorization", "invalid or revoked API key"));
    }

    /** Runs blocking work on a virtual thread and writes its reply back on the request's context. */
    private void offload(RoutingContext ctx, java.util.concurrent.Callable<Object> work) {
        Context context = vertx.getOrCreateContext();
        blocking.execute(() -> {
            Object result;
            Throwable failure = null;
            try {
                result = work.call();
            } catch (Throwable t) {
                result = null;
                failure = t;
            }
            Object r = result;
            Throwable f = failure;
            context.runOnContext(v -> {
                if (ctx.response().ended() || ctx.response().closed()) {
                    return;
                }
                if (f != null) {
                    error(ctx, f);
                } else if (r instanceof Reply reply) {
                    send(ctx, reply.status(), reply.body());
                } else {
                    send(ctx, 200, r);
                }
            });
        });
    }

    private void send(RoutingContext ctx, int status, Object body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(write(body));
    }

    private String write(Object body) {
        try {
            return json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void failure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        if (t != null) {
            error(ctx, t);
            return;
        }
        int status = ctx.statusCode();
        FlotillaException e = switch (status) {
            case 413 -> new FlotillaException(ErrorCode.BODY_TOO_LARGE, null, "request body exceeds "
                    + config.maxBodyBytes() + " bytes");
            case 405 -> new FlotillaException(ErrorCode.METHOD_NOT_ALLOWED, null, "method " + ctx.request().method()
                    + " is not allowed on " + ctx.request().path());
            case 404 -> new FlotillaException(ErrorCode.NOT_FOUND, null, "no such endpoint: " + ctx.request().path());
            case 415 -> new FlotillaException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, null, "unsupported content type");
            default -> status >= 400 && status < 500
                    ? new FlotillaException(ErrorCode.INVALID_ARGUMENT, null, "bad request (HTTP " + status + ")")
                    : new FlotillaException(ErrorCode.INTERNAL, null, "internal error (HTTP " + status + ")");
        };
        error(ctx, e);
    }

    void error(RoutingContext ctx, Throwable t) {
        FlotillaException e = t instanceof FlotillaException fe ? fe : unexpected(t);
        if (e.code().kind() == ErrorCode.Kind.INTERNAL) {
            LOG.error("internal error on {} {}", ctx.request().method(), ctx.request().path(), t);
        }
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("code", e.code().wireName());
        err.put("number", e.code().number());
        err.put("status", e.code().httpStatus());
        e.field().ifPresent(f -> err.put("field", f));
        err.put("message", e.getMessage());
        if (ctx.response().ended()) {
            return;
        }
        if (e.code() == ErrorCode.UNAUTHENTICATED) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
        }
        send(ctx, e.code().httpStatus(), Map.of("error", err));
    }

    private static FlotillaException unexpected(Throwable t) {
        if (t instanceof IllegalArgumentException iae) {
            return new FlotillaException(ErrorCode.INVALID_ARGUMENT, null, iae.getMessage() == null ? "invalid argument"
                    : iae.getMessage(), iae);
        }
        return new FlotillaException(ErrorCode.INTERNAL, null, "internal error: " + t.getClass().getSimpleName(), t);
    }

    private static ServingService.Report workerReport(JsonBody b) {
        String state = b.string("state");
        String reason = b.optString("reason").orElse(null);
        String url = b.optString("url").orElse(null);
        Double capacity = b.optDouble("capacity").orElse(null);
        Double rps = b.optDouble("requests_per_s").orElse(null);
        Double tps = b.optDouble("tokens_per_s").orElse(null);
        dev.flotilla.store.WorkerRepo.Load load = b.optBody("load").map(l -> {
            int inFlight = l.intValue("in_flight", 0);
            int running = l.intValue("running", 0);
            int waiting = l.intValue("waiting", 0);
            double kv = l.optDouble("kv_use").orElse(0.0);
            double loadTps = l.optDouble("tokens_per_s").orElse(0.0);
            l.finish();
            if (inFlight < 0 || running < 0 || waiting < 0) {
                throw FlotillaException.invalid("load", "load counts (in_flight, running, waiting) must be >= 0");
            }
            if (!(kv >= 0 && kv <= 1)) {
                throw FlotillaException.invalid("load.kv_use", "load.kv_use must be a fraction in [0, 1], got " + kv);
            }
            if (!(loadTps >= 0) || Double.isInfinite(loadTps)) {
                throw FlotillaException.invalid("load.tokens_per_s", "load.tokens_per_s must be >= 0, got " + loadTps);
            }
            return new dev.flotilla.store.WorkerRepo.Load(Math.max(inFlight, running), waiting, kv, loadTps);
        }).orElse(null);
        List<String> log = b.stringList("log");
        b.finish();
        return new ServingService.Report(state, reason, url, capacity, rps, tps, load, log);
    }

    private JsonBody body(RoutingContext ctx) {
        String ct = ctx.request().getHeader("content-type");
        if (ct != null && !ct.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new FlotillaException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "content-type",
                    "content-type must be application/json, got '" + ct + "'");
        }
        return JsonBody.parse(json, ctx.body() == null ? null : ctx.body().asString());
    }

    private static long id(RoutingContext ctx) {
        String s = ctx.pathParam("id");
        try {
            long v = Long.parseLong(s);
            if (v < 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw FlotillaException.invalid("id", "id must be a positive whole number, got '" + s + "'");
        }
    }

    private static void onlyParams(MultiMap q, Set<String> accepted) {
        for (String name : q.names()) {
            if (!accepted.contains(name)) {
                throw FlotillaException.invalid(name, "unknown query parameter '" + name + "'; accepted: "
                        + accepted.stream().sorted().toList());
            }
        }
    }

    private static long longParam(MultiMap q, String name, long dflt) {
        String s = q.get(name);
        if (s == null) {
            return dflt;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw FlotillaException.invalid(name, name + " must be a whole number, got '" + s + "'");
        }
    }

    private static double doubleParam(MultiMap q, String name, double dflt) {
        String s = q.get(name);
        if (s == null) {
            return dflt;
        }
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw FlotillaException.invalid(name, name + " must be a number, got '" + s + "'");
        }
    }

    private static boolean flag(MultiMap q, String name, Set<String> accepted) {
        onlyParams(q, accepted);
        String s = q.get(name);
        if (s == null) {
            return false;
        }
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "", "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw FlotillaException.invalid(name, name + " must be true or false, got '" + s + "'");
        };
    }

    private static int limitParam(MultiMap q) {
        onlyParams(q, Set.of("limit"));
        long limit = longParam(q, "limit", 200);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, limit));
    }

    private static Optional<Instant> instantParam(MultiMap q, String name) {
        String s = q.get(name);
        if (s == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(s.trim()));
        } catch (DateTimeParseException e) {
            throw FlotillaException.invalid(name, name + " must be an instant like 2026-11-27T10:00:00Z, got '" + s + "'");
        }
    }

    private static YearMonth period(MultiMap q) {
        onlyParams(q, Set.of("period"));
        String s = q.get("period");
        if (s == null) {
            return YearMonth.now(ZoneOffset.UTC);
        }
        try {
            return YearMonth.parse(s.trim());
        } catch (DateTimeParseException e) {
            throw FlotillaException.invalid("period", "period must be a month like 2026-11, got '" + s + "'");
        }
    }

    private void timeRequest(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addBodyEndHandler(v -> {
            // ids folded so that the route tag has bounded cardinality; unknown paths share one tag
            String route = ctx.response().getStatusCode() == 404 ? "other"
                    : ctx.normalizedPath().replaceAll("/\\d+(?=/|$)", "/:id");
            Timer.builder("flotilla_http_requests")
                    .tag("method", ctx.request().method().name())
                    .tag("route", route)
                    .tag("status", Integer.toString(ctx.response().getStatusCode()))
                    .register(registry)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        });
        ctx.next();
    }
}
