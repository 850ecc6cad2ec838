package dev.flotilla.emulator;

/** Why a sequence stopped, spelled as OpenAI spells {@code finish_reason}. */
public enum FinishReason {
    /** The deterministic text ended, or a stop sequence was reached. */
    STOP("stop"),
    /** The request's {@code max_tokens} was reached first. */
    LENGTH("length");

    private final String wire;

    FinishReason(String wire) {
        this.wire = wire;
    }

    /** The value of {@code finish_reason} in responses. */
    public String wire() {
        return wire;
    }
}
