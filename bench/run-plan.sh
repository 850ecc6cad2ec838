#!/usr/bin/env bash
# Builds the bench module and runs the planning benchmark (time per plan over the catalog and a
# 100,000-offer market). Extra arguments go to PlanBench:
# [offers] [iterations].
set -euo pipefail
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$(dirname "$0")/.."
./mvnw -q -B -pl bench -am package -DskipTests
exec "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:--Xms2g -Xmx2g} \
    -cp "bench/target/flotilla-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
    dev.flotilla.bench.PlanBench "$@"
