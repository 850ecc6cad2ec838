package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * The commercial side of a listed machine: where it is, its prices per GPU-hour and its network.
 * {@link #defaults()} holds the values the agent uses for flags left out.
 */
public record Listing(String country, String region, BigDecimal pricePerGpuHour, BigDecimal minBidPerGpuHour,
        double inetUpMbps, double inetDownMbps) {
    public static final String DEFAULT_COUNTRY = "US";
    public static final String DEFAULT_REGION = "default";
    public static final BigDecimal DEFAULT_PRICE = new BigDecimal("0.50");
    public static final BigDecimal DEFAULT_MIN_BID = new BigDecimal("0.25");
    /** Network speeds are not measured yet: a 1 Gbit/s link is assumed. */
    public static final double DEFAULT_INET_MBPS = 1000;

    private static final Pattern COUNTRY = Pattern.compile("[A-Z]{2}");

    public Listing {
        requireNonNull(country, "country is null");
        requireNonNull(region, "region is null");
        requireNonNull(pricePerGpuHour, "pricePerGpuHour is null");
        requireNonNull(minBidPerGpuHour, "minBidPerGpuHour is null");
        if (!COUNTRY.matcher(country).matches()) {
            throw new IllegalArgumentException("--country must be an ISO 3166 two-letter code in capitals such as US, got '"
                    + country + "'");
        }
        if (region.isBlank() || region.length() > 64) {
            throw new IllegalArgumentException("--region must be 1-64 characters, got '" + region + "'");
        }
        if (pricePerGpuHour.signum() <= 0) {
            throw new IllegalArgumentException("--price must be positive dollars per GPU-hour, got " + pricePerGpuHour);
        }
        if (minBidPerGpuHour.signum() <= 0 || minBidPerGpuHour.compareTo(pricePerGpuHour) > 0) {
            throw new IllegalArgumentException("--min-bid must be positive and at most the price " + pricePerGpuHour.toPlainString()
                    + ", got " + minBidPerGpuHour.toPlainString());
        }
        if (inetUpMbps < 0 || inetDownMbps < 0) {
            throw new IllegalArgumentException("network speeds must not be negative");
        }
    }

    public static Listing defaults() {
        return new Listing(DEFAULT_COUNTRY, DEFAULT_REGION, DEFAULT_PRICE, DEFAULT_MIN_BID, DEFAULT_INET_MBPS, DEFAULT_INET_MBPS);
    }
}
