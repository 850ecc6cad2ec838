package dev.flotilla.market.rental;

/**
 * A running rental's hold on GPUs {@code [firstGpu, firstGpu + gpuCount)} of one machine, at a
 * priority (see {@link Priority}).
 */
public record Hold(long rentalId, int firstGpu, int gpuCount, long priority) {
    public Hold {
        if (firstGpu < 0 || gpuCount < 1) {
            throw new IllegalArgumentException("bad hold [" + firstGpu + ", +" + gpuCount + ")");
        }
    }

    boolean overlaps(int start, int size) {
        return firstGpu < start + size && start < firstGpu + gpuCount;
    }
}
