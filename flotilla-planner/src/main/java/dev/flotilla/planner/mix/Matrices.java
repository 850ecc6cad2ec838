package dev.flotilla.planner.mix;

/** Deep copies of the small matrices that records in this package hold (records copy arrays by reference). */
final class Matrices {
    private Matrices() {}

    static double[][] copy(double[][] m) {
        double[][] copy = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            copy[i] = m[i].clone();
        }
        return copy;
    }
}
