package dev.flotilla.gateway;

/**
 * One endpoint's load as one gateway sees it ({@link Gateway#load()}).
 *
 * @param arrivals requests that reached the endpoint since the gateway started, admitted or not
 *     (rate-limited and queue-full ones included: they are demand the endpoint did not meet)
 * @param tokens prompt plus completion tokens of the requests that finished
 * @param inFlight requests holding a worker slot now
 * @param queued requests waiting for a slot now
 */
public record EndpointLoad(long arrivals, long tokens, int inFlight, int queued) {}
