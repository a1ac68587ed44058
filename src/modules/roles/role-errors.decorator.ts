import { ApiErrorCodes } from '../../common/http/api-errors.js';
import { RoleErrorCodes as C } from './domain/role-errors.js';

// The codes the roles routes answer with beyond their statuses' defaults, for the OpenAPI
// document. 401 and 429 are the same on every route (ApiErrors).
const nameTaken = ApiErrorCodes({
  409: { [C.nameTaken]: 'another role has this name (case-insensitively)' },
});

export const RoleRouteErrors = {
  create: nameTaken,
  update: nameTaken,
};
