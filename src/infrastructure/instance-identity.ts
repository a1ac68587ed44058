import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { busConfig, type BusConfig } from '../config/configuration.js';

/**
 * This process's name among the service's instances, one per process: INSTANCE_ID when set,
 * else hostname-pid and a random suffix. The Kafka bus (client id, probes), the admin heartbeat,
 * the webhook leases and the session ledger all go by it.
 */
@Injectable()
export class InstanceIdentity {
  readonly id: string;
  /** The id came from INSTANCE_ID (so a restarted process has the same one). */
  readonly configured: boolean;

  constructor(@Inject(busConfig.KEY) bus: BusConfig) {
    this.configured = bus.instanceId !== null;
    this.id = bus.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }
}
