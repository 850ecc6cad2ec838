package dev.flotilla.embeddings;

import static dev.flotilla.embeddings.SharedModel.cosine;
import static dev.flotilla.embeddings.SharedModel.norm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingModelTest {
    private final EmbeddingModel model = SharedModel.get();

    @Test
    void producesUnitLength384DimensionalVectors() {
        float[][] vectors = model.embed(List.of("Hello, world.", "A second, somewhat longer sentence to embed."));

        assertThat(vectors).hasNumberOfRows(2);
        for (float[] v : vectors) {
            assertThat(v).hasSize(EmbeddingModel.DIMENSION);
            assertThat(norm(v)).isCloseTo(1.0, within(1e-5));
        }
    }

    @Test
    void similarSentencesScoreHigherThanUnrelatedOnes() {
        float[][] v = model.embed(List.of(
                "A man is playing a guitar.", "Someone plays an instrument.", "The stock market fell sharply today."));

        double similar = cosine(v[0], v[1]);
        double unrelated = cosine(v[0], v[2]);
        assertThat(similar).isGreaterThan(unrelated + 0.2);
    }

    @Test
    void paddingInABatchDoesNotChangeAnyVector() {
        List<String> texts = List.of("short", "a much longer sentence, which forces the short one to be padded a lot");
        float[][] together;
        // No bucketing: both texts share one tensor, so the short one really is padded.
        try (EmbeddingModel oneTensor = EmbeddingModel.load(Double.POSITIVE_INFINITY)) {
            together = oneTensor.embed(texts);
        }

        for (int i = 0; i < texts.size(); i++) {
            float[] alone = model.embed(List.of(texts.get(i)))[0];
            assertThat(together[i]).containsExactly(alone, within(1e-5f));
        }
    }

    @Test
    void lengthBucketingReturnsVectorsInInputOrder() {
        List<String> texts = List.of("a fairly long sentence about renting eight GPUs for a week in Taipei",
                "hi", "a medium sentence about prices", "ok", "another long one: the market cleared at two dollars an hour");

        float[][] together = model.embed(texts);

        for (int i = 0; i < texts.size(); i++) {
            assertThat(together[i]).containsExactly(model.embed(List.of(texts.get(i)))[0], within(1e-5f));
        }
    }

    @Test
    void refusesANegativePaddingBound() {
        assertThatThrownBy(() -> EmbeddingModel.load(-0.1)).hasMessageContaining("maxPadding is -0.1");
    }

    @Test
    void agreesWithLangchain4jsOwnOneTextAtATimeImplementation() {
        // An independent implementation of the same recipe over the same ONNX file: if our pooling
        // or normalization drifted, this is where it shows.
        String text = "Flotilla rents GPUs by the minute.";
        float[] reference = new AllMiniLmL6V2EmbeddingModel().embed(text).content().vector();

        float[] ours = model.embed(List.of(text))[0];

        assertThat(cosine(ours, reference)).isCloseTo(1.0, within(1e-5));
    }

    @Test
    void countsTokensIncludingClsAndSep() {
        assertThat(model.tokenize("Hello world").tokenCount()).isEqualTo(4);
        assertThat(model.tokenize("hello ".repeat(600)).tokenCount()).isEqualTo(602);
    }

    @Test
    void refusesTextsLongerThanTheModelsPositionLimit() {
        TokenizedText tooLong = model.tokenize("hello ".repeat(511));

        assertThatThrownBy(() -> model.embedTokenized(List.of(tooLong)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("513 tokens");
    }

    @Test
    void embedsATextOfExactlyTheLimit() {
        TokenizedText atLimit = model.tokenize("hello ".repeat(510));

        assertThat(atLimit.tokenCount()).isEqualTo(EmbeddingModel.MAX_TOKENS);
        assertThat(norm(model.embedTokenized(List.of(atLimit))[0])).isCloseTo(1.0, within(1e-5));
    }
}
