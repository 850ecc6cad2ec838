package dev.flotilla.embeddings;

/** One real model per test JVM: loading it takes a second or two and 90 MB, so test classes share it. */
final class SharedModel {
    private static EmbeddingModel model;

    private SharedModel() {}

    static synchronized EmbeddingModel get() {
        if (model == null) {
            model = EmbeddingModel.load();
        }
        return model;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        return Math.sqrt(sum);
    }
}
