#!/usr/bin/env bash
# Builds the bench module and runs the embeddings throughput benchmark (all-MiniLM-L6-v2 on CPU
# through ONNX Runtime; model calls of 1, 8 and 32 inputs, then the Batcher under 32 concurrent
# clients). Extra arguments go to EmbeddingsBench: [seconds-per-measurement].
set -euo pipefail
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$(dirname "$0")/.."
./mvnw -q -B -pl bench -am package -DskipTests
# ONNX Runtime and the tokenizer (through JNA) load native libraries.
exec "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:--Xms1g -Xmx1g} --enable-native-access=ALL-UNNAMED \
    -cp "bench/target/flotilla-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
    dev.flotilla.bench.EmbeddingsBench "$@"
