package dev.flotilla.bench;

import dev.flotilla.embeddings.BatchPolicy;
import dev.flotilla.embeddings.Batcher;
import dev.flotilla.embeddings.EmbeddingModel;
import dev.flotilla.embeddings.TokenizedText;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Embedding throughput (inputs per second) of all-MiniLM-L6-v2 on this CPU for model calls of 1,
 * 8 and 32 inputs, all in the same run so that the batched-to-unbatched ratio holds on any
 * machine; then the same through the {@link Batcher} with 32 concurrent single-input clients,
 * which is what the server sees under load; and, as the baseline for length bucketing, 32-input
 * calls run as one padded tensor. Tokenization is inside the timed region, as it is in a request.
 *
 * <p>Usage: {@code EmbeddingsBench [seconds-per-measurement]}; see {@code bench/run-embeddings.sh}.
 * Inputs are synthetic English sentences of 8 to 24 words (about 12 to 35 tokens), drawn from a
 * fixed seed so that every batch size embeds the same texts.
 */
public final class EmbeddingsBench {
    private static final String[] WORDS = ("the a gpu market price offer rents renter host minute hour "
            + "fast slow cheap reliable cluster node model serves tokens request batch queue latency "
            + "throughput memory cores network storage region europe asia america contract bid ask "
            + "spot instance engine vector search answer question guitar music weather river").split(" ");

    private static volatile float sink;

    private EmbeddingsBench() {}

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5.0;
        List<String> texts = sentences(4096, 42);

        long t0 = System.nanoTime();
        try (EmbeddingModel model = EmbeddingModel.load();
                EmbeddingModel oneTensor = EmbeddingModel.load(Double.POSITIVE_INFINITY)) {
            long t1 = System.nanoTime();
            System.out.printf(Locale.ROOT, "%s %s, %d cores; 2 models loaded in %.0f ms; %.1f s timed per row%n%n",
                    System.getProperty("java.vm.name"), Runtime.version(), Runtime.getRuntime().availableProcessors(),
                    (t1 - t0) / 1e6, seconds);
            System.out.printf(Locale.ROOT, "%-50s %12s %10s%n", "measurement", "inputs/s", "vs batch 1");

            double baseline = 0;
            for (int batch : new int[] {1, 8, 32}) {
                measureDirect(model, texts, batch, Math.min(2.0, seconds)); // warm-up
                double rate = measureDirect(model, texts, batch, seconds);
                if (batch == 1) {
                    baseline = rate;
                }
                System.out.printf(Locale.ROOT, "%-50s %12.1f %9.2fx%n", "model call of " + batch + " input(s)", rate,
                        rate / baseline);
            }
            measureDirect(oneTensor, texts, 32, Math.min(2.0, seconds));
            double unbucketed = measureDirect(oneTensor, texts, 32, seconds);
            System.out.printf(Locale.ROOT, "%-50s %12.1f %9.2fx%n", "model call of 32, one padded tensor (no buckets)",
                    unbucketed, unbucketed / baseline);
            double batched = measureBatcher(model, texts, 32, seconds);
            System.out.printf(Locale.ROOT, "%-50s %12.1f %9.2fx%n", "Batcher(32, 2 ms), 32 single-input clients",
                    batched, batched / baseline);
        }
    }

    private static double measureDirect(EmbeddingModel model, List<String> texts, int batch, double seconds) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        long done = 0;
        int next = 0;
        while (System.nanoTime() < deadline) {
            List<String> slice = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                slice.add(texts.get(next));
                next = (next + 1) % texts.size();
            }
            float[][] vectors = model.embed(slice);
            sink += vectors[0][0];
            done += batch;
        }
        return done / ((System.nanoTime() - start) / 1e9);
    }

    private static double measureBatcher(EmbeddingModel model, List<String> texts, int clients, double seconds)
            throws Exception {
        BatchPolicy policy = new BatchPolicy(32, Duration.ofMillis(2));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong done = new AtomicLong();
        try (Batcher<TokenizedText, float[]> batcher = new Batcher<>(batch -> List.of(model.embedTokenized(batch)),
                        policy, InstantSource.system(), Thread.ofPlatform().daemon(true).factory());
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            long start = System.nanoTime();
            for (int c = 0; c < clients; c++) {
                int offset = c * 97;
                loops.add(CompletableFuture.runAsync(() -> {
                    int i = offset;
                    while (running.get()) {
                        String text = texts.get(i++ % texts.size());
                        sink += batcher.submit(List.of(model.tokenize(text))).join().getFirst()[0];
                        done.incrementAndGet();
                    }
                }, pool));
            }
            Thread.sleep((long) (seconds * 1000));
            long counted = done.get();
            long elapsed = System.nanoTime() - start;
            running.set(false);
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
            return counted / (elapsed / 1e9);
        }
    }

    private static List<String> sentences(int count, long seed) {
        Random random = new Random(seed);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int words = 8 + random.nextInt(17);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < words; w++) {
                sb.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }
}
