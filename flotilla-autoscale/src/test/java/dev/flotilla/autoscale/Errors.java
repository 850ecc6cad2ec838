package dev.flotilla.autoscale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

final class Errors {
    private Errors() {}

    /** The call fails with INVALID_ARGUMENT on {@code field}, and the message names it too. */
    static void assertField(ThrowingCallable call, String field) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(FlotillaException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.field()).contains(field);
                })
                .hasMessageContaining(field);
    }
}
