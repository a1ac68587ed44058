import { ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { toErrorBody } from '../../common/errors/http-exception.filter.js';
import { frame } from './ws-protocol.js';

/**
 * Maps any error from a gateway handler to an `error` frame; the connection stays open.
 * `ref` echoes the clientMsgId of a send, or else the event name.
 */
@Catch()
export class WsErrorFilter implements WsExceptionFilter {
  private readonly log = new Logger('WsErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const client = ws.getClient<WebSocket>();
    const data = ws.getData<{ clientMsgId?: unknown } | undefined>();
    const pattern = ws.getPattern();
    const { body } = toErrorBody(exception);
    if (body.statusCode >= 500) {
      this.log.error(
        {
          err:
            exception instanceof Error
              ? { message: exception.message, stack: exception.stack }
              : String(exception),
          event: pattern,
        },
        'ws handler error',
      );
    }
    const ref = typeof data?.clientMsgId === 'string' ? data.clientMsgId : pattern;
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    if (client.readyState === client.OPEN)
      client.send(frame('error', { code: body.code, message, ...(ref ? { ref } : {}) }));
  }
}
