import { ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { toErrorBody } from '../../common/errors/http-exception.filter.js';
import { frame } from './ws-protocol.js';

const log = new Logger('WsErrorFilter');

/** The `error` frame for any failure of a handler; crashes (5xx) are logged with their stack. */
export function errorFrameFor(exception: unknown, ref: string | undefined, event: string): string {
  const { body } = toErrorBody(exception);
  if (body.statusCode >= 500) {
    log.error(
      {
        err:
          exception instanceof Error
            ? { message: exception.message, stack: exception.stack }
            : String(exception),
        event,
      },
      'ws handler error',
    );
  }
  const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
  return frame('error', { code: body.code, message, ...(ref ? { ref } : {}) });
}

/**
 * Maps any error from a gateway handler to an `error` frame; the connection stays open.
 * `ref` echoes the clientMsgId of a send, or else the event name.
 */
@Catch()
export class WsErrorFilter implements WsExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const client = ws.getClient<WebSocket>();
    const data = ws.getData<{ clientMsgId?: unknown } | undefined>();
    const pattern = ws.getPattern();
    const ref = typeof data?.clientMsgId === 'string' ? data.clientMsgId : pattern;
    if (client.readyState === client.OPEN) client.send(errorFrameFor(exception, ref, pattern));
  }
}
