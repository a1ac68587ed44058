// What the benchmark reads of a server's /metrics (Prometheus text): one sample, or a
// histogram's quantiles.

async function metricsText(server) {
  return (await fetch(`${server.url}/metrics`)).text();
}

/** The value of an unlabelled sample (a counter or gauge), 0 when it is absent. */
export async function metricValue(server, name) {
  const line = (await metricsText(server)).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

/**
 * A histogram's median and 99th percentile, in ms (its buckets are in seconds), interpolated
 * within the bucket each rank falls in as PromQL's histogram_quantile does; null when it has no
 * observation. E.g. kafka_record_age_seconds (a record's producer timestamp to its decode) or
 * kafka_room_event_publish_delay_seconds (a room event's creation to its publish).
 */
export async function histogramQuantiles(server, name) {
  const prefix = `${name}_bucket{le="`;
  const buckets = (await metricsText(server))
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => {
      const [le, n] = l.slice(prefix.length).split('"} ');
      return { le: le === '+Inf' ? Infinity : Number(le) * 1000, n: Number(n) };
    });
  const total = buckets.at(-1)?.n ?? 0;
  if (total === 0) return null;
  const quantile = (q) => {
    const rank = q * total;
    let below = { le: 0, n: 0 };
    for (const b of buckets) {
      if (b.n >= rank) {
        if (b.le === Infinity) return below.le;
        return below.le + ((b.le - below.le) * (rank - below.n)) / Math.max(1, b.n - below.n);
      }
      below = b;
    }
    return null;
  };
  return { p50: quantile(0.5), p99: quantile(0.99), records: total };
}
