package dev.flotilla.gateway;

import static java.util.Objects.requireNonNull;

/** A request the gateway refuses, carrying the {@link OpenAiError} to answer. */
public final class GatewayException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient OpenAiError error;

    public GatewayException(OpenAiError error) {
        super(requireNonNull(error, "error is null").message());
        this.error = error;
    }

    public OpenAiError error() {
        return error;
    }
}
