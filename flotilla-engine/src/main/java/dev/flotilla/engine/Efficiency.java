package dev.flotilla.engine;

/**
 * How close one GPU type comes to its datasheet in a real model server, as fitted on measured
 * kernel times (see {@link Calibration}).
 *
 * @param compute fraction of the dense tensor rate that large matrix multiplications reach
 * @param bandwidth fraction of the datasheet memory bandwidth that weight-streaming
 *     (decode-sized) matrix multiplications reach, once their fixed kernel latency is set apart
 * @param kernelLatencySeconds fixed GPU time of each kernel on top of its roofline time: launch,
 *     ramp-up and tail of a kernel that cannot fill the GPU (a few microseconds)
 */
public record Efficiency(double compute, double bandwidth, double kernelLatencySeconds) {
    public Efficiency {
        if (!(compute > 0 && compute <= 1)) {
            throw new IllegalArgumentException("compute efficiency must be in (0, 1]; got " + compute);
        }
        if (!(bandwidth > 0 && bandwidth <= 1)) {
            throw new IllegalArgumentException("bandwidth efficiency must be in (0, 1]; got " + bandwidth);
        }
        if (!(kernelLatencySeconds >= 0 && kernelLatencySeconds <= 1e-3)) {
            throw new IllegalArgumentException("kernel latency must be in [0, 1 ms]; got " + kernelLatencySeconds);
        }
    }

    /** The element-wise mean of several fits: the default for GPUs nobody profiled. */
    static Efficiency mean(Efficiency... fits) {
        double c = 0;
        double b = 0;
        double l = 0;
        for (Efficiency f : fits) {
            c += f.compute;
            b += f.bandwidth;
            l += f.kernelLatencySeconds;
        }
        return new Efficiency(c / fits.length, b / fits.length, l / fits.length);
    }

    /** This fit with the compute factor scaled, for datasheet rates that overstate what kernels can use. */
    Efficiency withComputeScaled(double factor) {
        return new Efficiency(compute * factor, bandwidth, kernelLatencySeconds);
    }
}
