package dev.flotilla.traces;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Token counts for traces that record arrivals but no lengths. The shared ServeGen archives carry
 * only the arrival model ({@code chunk-N-trace.csv}), not ServeGen's per-client length
 * distributions ({@code chunk-N-dataset.json}), so lengths are drawn from this model instead.
 *
 * <p>{@link Shape#SERVEGEN} follows the shapes the ServeGen paper (Xiang et al., arXiv 2505.09999,
 * §3) reports for language models, simplified: input ~ log-normal with the given mean and log-sd
 * {@value #INPUT_LOG_SD} (the paper fits a Pareto/log-normal mixture), output ~ exponential with
 * the given mean. Draws are rounded and clamped to {@code [1, }{@value #MAX_INPUT}{@code ]} input and
 * {@code [1, }{@value #MAX_OUTPUT}{@code ]} output tokens. {@link Shape#CONSTANT} gives every
 * request exactly the means.
 *
 * <p>The per-category defaults are assumptions, not data: language 2,048 in / 256 out; reason
 * (DeepSeek-R1) 1,024 in / 4,096 out, since thinking tokens dominate and the paper's bimodal
 * output is flattened to one exponential; multimodal 1,536 in (text plus image tokens) / 256 out.
 */
public record TokenLengths(int meanInput, int meanOutput, Shape shape) {
    public static final double INPUT_LOG_SD = 1.0;
    public static final int MAX_INPUT = 131_072;
    public static final int MAX_OUTPUT = 32_768;

    /** How draws spread around the means. */
    public enum Shape {
        CONSTANT,
        SERVEGEN
    }

    public TokenLengths {
        requireNonNull(shape, "shape is null");
        if (meanInput < 1 || meanInput > MAX_INPUT) {
            throw FlotillaException.invalid("token-lengths", "mean input must be 1.." + MAX_INPUT + " tokens, got " + meanInput);
        }
        if (meanOutput < 1 || meanOutput > MAX_OUTPUT) {
            throw FlotillaException.invalid("token-lengths", "mean output must be 1.." + MAX_OUTPUT + " tokens, got " + meanOutput);
        }
    }

    public static TokenLengths constant(int input, int output) {
        return new TokenLengths(input, output, Shape.CONSTANT);
    }

    public static TokenLengths servegen(int meanInput, int meanOutput) {
        return new TokenLengths(meanInput, meanOutput, Shape.SERVEGEN);
    }

    /** The assumed lengths for a ServeGen category ({@code language}, {@code reason}, {@code multimodal}). */
    public static Optional<TokenLengths> defaultFor(String category) {
        return switch (category) {
            case "language" -> Optional.of(servegen(2_048, 256));
            case "reason" -> Optional.of(servegen(1_024, 4_096));
            case "multimodal" -> Optional.of(servegen(1_536, 256));
            default -> Optional.empty();
        };
    }

    /** Draws lengths with the log-normal's location computed once. */
    Sampler sampler() {
        return new Sampler(this);
    }

    static final class Sampler {
        private final TokenLengths lengths;
        private final double inputMu;

        private Sampler(TokenLengths lengths) {
            this.lengths = lengths;
            // log-normal with mean m: mu = ln m - sigma^2 / 2
            this.inputMu = Math.log(lengths.meanInput) - INPUT_LOG_SD * INPUT_LOG_SD / 2;
        }

        int input(RandomGenerator random) {
            if (lengths.shape == Shape.CONSTANT) {
                return lengths.meanInput;
            }
            return clamp(Math.exp(inputMu + INPUT_LOG_SD * random.nextGaussian()), MAX_INPUT);
        }

        int output(RandomGenerator random) {
            if (lengths.shape == Shape.CONSTANT) {
                return lengths.meanOutput;
            }
            return clamp(lengths.meanOutput * random.nextExponential(), MAX_OUTPUT);
        }
    }

    private static int clamp(double tokens, int max) {
        return (int) Math.max(1, Math.min(max, Math.round(tokens)));
    }
}
