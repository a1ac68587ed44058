export * from './events.js';
export * from './auth.js';
export * from './backoff.js';
export * from './client.js';
export type { paths, components, operations } from './openapi.js';
