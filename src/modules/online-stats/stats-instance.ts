import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { InstanceIdentity } from '../../infrastructure/instance-identity.js';

/**
 * This process's identity in the session ledger: new at every start (a restarted process is a
 * new instance; the old one's sessions are its own), so a configured INSTANCE_ID gets a random
 * suffix here; the generated id has one already.
 */
@Injectable()
export class StatsInstance {
  readonly id: string;

  constructor(identity: InstanceIdentity) {
    this.id = identity.configured
      ? `${identity.id}-${randomBytes(4).toString('hex')}`
      : identity.id;
  }
}
