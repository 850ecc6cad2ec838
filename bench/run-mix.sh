#!/usr/bin/env bash
# Builds the bench module and runs the heterogeneous-mix benchmark (MixOptimizer's integer program
# against a greedy heuristic on 6 buckets x 8 GPU configurations). Extra arguments go to
# MixSolveBench: [demand-variants] [warm-up-seconds].
set -euo pipefail
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$(dirname "$0")/.."
./mvnw -q -B -pl bench -am package -DskipTests
exec "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:--Xms2g -Xmx2g} \
    -cp "bench/target/flotilla-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
    dev.flotilla.bench.MixSolveBench "$@"
