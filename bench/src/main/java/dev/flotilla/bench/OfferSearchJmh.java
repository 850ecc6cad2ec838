package dev.flotilla.bench;

import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.query.NaiveOfferFilter;
import dev.flotilla.market.query.OfferIndex;
import dev.flotilla.market.query.OfferQuery;
import dev.flotilla.market.query.SearchContext;
import dev.flotilla.market.query.SortOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH twin of {@link OfferSearchBench} for averages with JMH's rigour (forks, warm-up):
 * {@code java -cp 'bench/target/flotilla-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*'
 * org.openjdk.jmh.Main OfferSearchJmh}. The index and naive methods run the same query so
 * their scores compare directly.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class OfferSearchJmh {
    @Param({
        "reliability > 0.98 num_gpus=1 gpu_name=RTX_3090 rented=False",
        "gpu_ram>=24 compute_cap>=800 dph<2",
        "verified=any rentable=any rented=any",
    })
    public String query;

    @Param({"100000"})
    public int offers;

    private OfferIndex index;
    private NaiveOfferFilter naive;
    private OfferQuery parsed;
    private final SortOrder order = SortOrder.DEFAULT;
    private final SearchContext ctx = SearchContext.defaults();

    @Setup
    public void setUp() {
        List<Offer> market = SyntheticMarket.generate(offers, 42);
        index = new OfferIndex(market);
        naive = new NaiveOfferFilter(market);
        parsed = OfferQuery.parse(query, true);
    }

    @Benchmark
    public List<Offer> index() {
        return index.search(parsed, order, 100, ctx);
    }

    @Benchmark
    public List<Offer> naive() {
        return naive.search(parsed, order, 100, ctx);
    }
}
