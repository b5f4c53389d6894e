//! Percentiles for the benchmarks' reports (each bench includes this file as a module).

/// The value at quantile `p` of `sorted`.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Prints `name: n=… p50=… p90=… p99=… max=…` in `unit`.
pub fn report(name: &str, unit: &str, mut values: Vec<f64>) {
    values.sort_by(f64::total_cmp);
    println!(
        "{name}: n={} p50={:.3}{unit} p90={:.3}{unit} p99={:.3}{unit} max={:.3}{unit}",
        values.len(),
        percentile(&values, 0.5),
        percentile(&values, 0.9),
        percentile(&values, 0.99),
        values.last().copied().unwrap_or_default()
    );
}
