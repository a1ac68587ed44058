import { ApiErrorCodes } from '../../common/http/api-errors.js';
import { OrgErrorCodes as C } from './domain/organization-errors.js';

// The codes the organisations routes answer with beyond their statuses' defaults, for the
// OpenAPI document. 401 and 429 are the same on every route (ApiErrors).
const departmentNameTaken = {
  [C.departmentNameTaken]: 'a department with this name exists at this place in the tree',
};
const positionNameTaken = ApiErrorCodes({
  409: { [C.positionNameTaken]: 'a position with this name exists in this organisation' },
});

export const OrgRouteErrors = {
  create: ApiErrorCodes({ 409: { [C.nameTaken]: 'an organisation with this name exists' } }),
  putMember: ApiErrorCodes({
    409: { [C.lastOwner]: 'demoting the last owner of the organisation' },
  }),
  removeMember: ApiErrorCodes({
    409: { [C.lastOwner]: 'the last owner of the organisation cannot leave it or be removed' },
  }),
  createDepartment: ApiErrorCodes({ 409: departmentNameTaken }),
  updateDepartment: ApiErrorCodes({
    409: {
      ...departmentNameTaken,
      [C.departmentCycle]: 'a move under the department itself or one of its sub-departments',
    },
  }),
  deleteDepartment: ApiErrorCodes({
    409: {
      [C.departmentNotEmpty]: 'the department has sub-departments: move or delete them first',
    },
  }),
  createPosition: positionNameTaken,
  updatePosition: positionNameTaken,
};
