#!/usr/bin/env bash
# Builds the bench module and runs the gateway throughput/latency benchmark: requests per second
# and p50/p99 for non-streaming and streaming chat completions at 16 and 64 connections, against
# the fast upstream directly, through nginx (plain reverse proxy) and through the gateway (auth,
# rate limit, routing, worker token, usage metering), all in one run. Needs nginx and wrk (Debian
# packages; installed here with apt-get when missing and running as root).
# Settings (environment, defaults in brackets): BENCH_WARMUP_S (1) and BENCH_SECONDS (4) per run,
# BENCH_ROUNDS (3), BENCH_CONNECTIONS (16,64), BENCH_WRK_THREADS (2), BENCH_UPSTREAM_INSTANCES
# (cores), BENCH_JIT_MAX_S (60: longest JIT warm-up), BENCH_MAX_OTHERS (0.5 cores) and
# BENCH_RETRIES (1): a run during which other processes used more CPU than that is measured again,
# NGINX, WRK (paths). Takes 4 to 6 minutes with the defaults (the JIT warm-up alone up to 1).
# Extra arguments go to GatewayBench: [--out file.json] (default bench/target/gateway-bench.json).
set -euo pipefail
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$(dirname "$0")/.."

export NGINX="${NGINX:-/usr/sbin/nginx}" WRK="${WRK:-/usr/bin/wrk}"
if [[ ! -x "$NGINX" || ! -x "$WRK" ]]; then
    if [[ "$NGINX" == /usr/sbin/nginx && "$WRK" == /usr/bin/wrk && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "installing nginx and wrk (Debian packages)..." >&2
        # On a regular host the package also starts its own nginx service (port 80); the benchmark
        # does not use it: it runs a separate nginx with a generated configuration.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx wrk >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx wrk >/dev/null; }
    fi
    if [[ ! -x "$NGINX" || ! -x "$WRK" ]]; then
        echo "run-gateway.sh: needs nginx ($NGINX) and wrk ($WRK): install the Debian packages" \
            "('apt-get install nginx wrk' as root) or set NGINX and WRK to their paths" >&2
        exit 1
    fi
fi

# BENCH_BUILD=0 runs what is already built (bench/target), e.g. while other modules are being edited.
if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
    ./mvnw -q -B -pl bench -am package -DskipTests
fi
exec "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:--Xms1g -Xmx1g} \
    -cp "bench/target/flotilla-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
    dev.flotilla.bench.gateway.GatewayBench "$@"
