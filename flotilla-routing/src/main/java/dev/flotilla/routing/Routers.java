package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Builds a {@link Router} from its configured name ({@code routing.strategy}). Randomness is
 * injected: pass a seeded generator in tests and the simulator, e.g. {@code new SplittableRandom(42)}.
 */
public final class Routers {
    /** Every accepted strategy name; {@link #DEFAULT} first. */
    public static final List<String> NAMES = List.of(
            LeastLoadRouter.NAME, PowerOfTwoRouter.NAME, RoundRobinRouter.NAME, PrefixAffinityRouter.NAME, RegionRouter.NAME);

    public static final String DEFAULT = LeastLoadRouter.NAME;

    private Routers() {}

    public static Router of(String name, RandomGenerator random) {
        return of(name, RouterSettings.defaults(), random);
    }

    /**
     * @throws FlotillaException {@link ErrorCode#INVALID_ARGUMENT} on field {@code routing} when
     *     {@code name} is not one of {@link #NAMES}
     */
    public static Router of(String name, RouterSettings settings, RandomGenerator random) {
        requireNonNull(settings, "settings is null");
        requireNonNull(random, "random is null");
        return switch (name == null ? "" : name) {
            case LeastLoadRouter.NAME -> new LeastLoadRouter();
            case PowerOfTwoRouter.NAME -> new PowerOfTwoRouter(random);
            case RoundRobinRouter.NAME -> new RoundRobinRouter();
            case PrefixAffinityRouter.NAME -> new PrefixAffinityRouter(settings);
            case RegionRouter.NAME -> new RegionRouter(settings);
            default -> throw new FlotillaException(
                    ErrorCode.INVALID_ARGUMENT,
                    "routing",
                    "unknown routing strategy '" + name + "'; accepted: " + String.join(", ", NAMES));
        };
    }
}
