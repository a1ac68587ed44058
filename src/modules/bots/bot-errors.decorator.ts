import { ApiErrorCodes } from '../../common/http/api-errors.js';
import { MessageErrorCodes } from '../messages/domain/message-errors.js';
import { BotErrorCodes as C } from './domain/bot-errors.js';

// The codes the bots routes answer with beyond their statuses' defaults, for the OpenAPI
// document. 401 and 429 are the same on every route (ApiErrors).
const nameTaken = ApiErrorCodes({
  409: { [C.nameTaken]: 'another bot or user has this name (case-insensitively)' },
});

export const BotRouteErrors = {
  create: nameTaken,
  update: nameTaken,
  send: ApiErrorCodes({
    409: {
      [MessageErrorCodes.clientMsgIdConflict]:
        'this clientMsgId was used for a message in another room',
    },
  }),
};
