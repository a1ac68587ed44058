// Every benchmark scenario, in the order a full run takes them (bench/scenarios/<name>.mjs).
export const SCENARIOS = [
  'idle',
  'fanout',
  'latency',
  'throughput',
  'edits',
  'history',
  'sidebar',
  'search',
  'export',
  'reconnect',
  'bus',
];
