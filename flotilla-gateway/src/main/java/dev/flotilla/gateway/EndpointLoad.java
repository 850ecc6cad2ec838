package dev.flotilla.gateway;

/**
 * One endpoint's load as one gateway sees it ({@link Gateway#load()}).
 *
 * @param arrivals requests that reached the endpoint since the gateway started, admitted or not
 *     (rate-limited and queue-full ones included: they are demand the endpoint did not meet)
 * @param tokens prompt plus completion tokens of the requests that finished
 * @param inFlight requests holding a worker slot now
 * @param queued requests waiting for a slot now
 * @param completed admitted requests that finished since the gateway started, whatever their
 *     status: under a standing queue, their rate is what the workers really serve
 */
public record EndpointLoad(long arrivals, long tokens, int inFlight, int queued, long completed) {
    /** Counters without completions (tests and callers that do not track them). */
    public EndpointLoad(long arrivals, long tokens, int inFlight, int queued) {
        this(arrivals, tokens, inFlight, queued, 0);
    }
}
