import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { EventBus } from '../../common/events/event-bus.js';
import { InProcessEventBus } from './in-process-event-bus.js';

export type EventBusDriver = 'in-process' | 'kafka';

/**
 * The event bus as a swappable driver, chosen from validated config in forRoot.
 * Tests may pass their own provider through `forRoot({ provider })`.
 */
@Global()
@Module({})
export class EventBusModule {
  static forRoot(opts: { driver: EventBusDriver; providers?: Provider[] }): DynamicModule {
    const drivers: Record<EventBusDriver, () => Provider[]> = {
      'in-process': () => [{ provide: EventBus, useClass: InProcessEventBus }],
      kafka: () => {
        throw new Error('The Kafka event bus driver is not available in this build');
      },
    };
    const providers = opts.providers ?? drivers[opts.driver]();
    return { module: EventBusModule, providers, exports: [EventBus] };
  }
}
