/**
 * What the bus's Kafka consumers agree on about records: probes (readiness, heartbeats) carry
 * this header and are not events.
 */
export const PROBE_HEADER = 'x-chat-probe';
