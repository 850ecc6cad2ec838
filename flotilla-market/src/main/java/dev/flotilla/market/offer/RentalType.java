package dev.flotilla.market.offer;

import dev.flotilla.core.FlotillaException;
import java.util.Locale;

/**
 * How a rental is held. The type decides the price a search shows ({@code dph}) and the
 * rental's priority: on-demand and reserved outrank every interruptible (bid) rental.
 */
public enum RentalType {
    ON_DEMAND("on-demand"),
    BID("bid"),
    RESERVED("reserved");

    private final String wireName;

    RentalType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static RentalType parse(String field, String s) {
        if (s != null) {
            String k = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (RentalType t : values()) {
                if (t.wireName.equals(k) || (t == BID && k.equals("interruptible")) || (t == ON_DEMAND && k.equals("ondemand"))) {
                    return t;
                }
            }
        }
        throw FlotillaException.invalid(field, field + " must be one of on-demand, bid (interruptible), reserved; got '" + s + "'");
    }
}
