package dev.flotilla.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DeterministicTextTest {
    @Test
    void samePromptGivesSameTextAndOtherPromptsDiffer() {
        long seed = DeterministicText.seed("user\u0000hello");
        assertThat(DeterministicText.tokens(seed)).isEqualTo(DeterministicText.tokens(seed));
        assertThat(DeterministicText.tokens(DeterministicText.seed("user\u0000hello!")))
                .isNotEqualTo(DeterministicText.tokens(seed));
    }

    @Test
    void textReadsAsSentencesOfWords() {
        List<String> tokens = DeterministicText.tokens(7);
        String text = String.join("", tokens);
        assertThat(tokens.size()).isBetween(24, 279);
        assertThat(text).matches("[A-Z][a-z]+( [a-zA-Z]+|\\.)*");
        assertThat(text).endsWith(".");
    }

    @Test
    void promptTokensAreAboutFourCharactersEach() {
        assertThat(DeterministicText.promptTokens("abcd")).isEqualTo(1);
        assertThat(DeterministicText.promptTokens("abcde")).isEqualTo(2);
        assertThat(DeterministicText.promptTokens("")).isEqualTo(1);
        assertThat(DeterministicText.chatTokens(List.of("abcdefgh", "abcd"))).isEqualTo(3 + 4 + 2 + 4 + 1);
    }

    @Test
    void stopSequenceCutsTheTextBeforeIt() {
        List<String> tokens = List.of("The", " model", " runs", " fast", ".");
        assertThat(DeterministicText.cutAtStop(tokens, List.of("uns"))).containsExactly("The", " model", " r");
        assertThat(DeterministicText.cutAtStop(tokens, List.of(" fast", " model"))).containsExactly("The");
        assertThat(DeterministicText.cutAtStop(tokens, List.of("absent", ""))).isEqualTo(tokens);
        assertThat(DeterministicText.cutAtStop(tokens, List.of("The"))).containsExactly("");
    }
}
