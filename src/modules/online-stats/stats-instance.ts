import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { busConfig, type BusConfig } from '../../config/configuration.js';

/**
 * This process's identity in the session ledger: new at every start (a restarted process is a
 * new instance; the old one's sessions are its own), readable in logs (INSTANCE_ID or
 * hostname-pid, then a random suffix).
 */
@Injectable()
export class StatsInstance {
  readonly id: string;

  constructor(@Inject(busConfig.KEY) bus: BusConfig) {
    const base = bus.instanceId ?? `${hostname()}-${process.pid}`;
    this.id = `${base}-${randomBytes(4).toString('hex')}`;
  }
}
