import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { EventBus } from '../../common/events/event-bus.js';
import { OutboxPolicy } from '../../common/events/outbox.js';
import { InstanceIdentity } from '../instance-identity.js';
import { EventBusProtocolDocs } from './event-bus.protocol.js';
import { InProcessEventBus } from './in-process-event-bus.js';
import { KafkaEventBus } from './kafka/kafka-event-bus.js';
import { KafkaMetrics } from './kafka/kafka-metrics.js';

export type EventBusDriver = 'in-process' | 'kafka';

/**
 * The event bus as a swappable driver, chosen from validated config in forRoot. Tests may pass
 * their own providers through `forRoot({ providers })`. Also this process's InstanceIdentity.
 */
@Global()
@Module({})
export class EventBusModule {
  static forRoot(opts: { driver: EventBusDriver; providers?: Provider[] }): DynamicModule {
    const drivers: Record<EventBusDriver, () => Provider[]> = {
      'in-process': () => [
        { provide: EventBus, useClass: InProcessEventBus },
        { provide: OutboxPolicy, useValue: { enabled: false } },
      ],
      kafka: () => [
        KafkaMetrics,
        KafkaEventBus,
        { provide: EventBus, useExisting: KafkaEventBus },
        { provide: OutboxPolicy, useValue: { enabled: true } },
      ],
    };
    const providers = [
      InstanceIdentity,
      EventBusProtocolDocs,
      ...(opts.providers ?? drivers[opts.driver]()),
    ];
    return {
      module: EventBusModule,
      providers,
      exports: [EventBus, OutboxPolicy, InstanceIdentity],
    };
  }
}
