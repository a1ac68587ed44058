// The error codes the organisations context answers with (besides the shared
// VALIDATION_FAILED, PERMISSION_DENIED and USER_NOT_FOUND). No framework imports.
export const OrgErrorCodes = {
  notFound: 'ORG_NOT_FOUND',
  notMember: 'NOT_ORG_MEMBER',
  nameTaken: 'ORG_NAME_TAKEN',
  lastOwner: 'ORG_LAST_OWNER',
  departmentNotFound: 'DEPARTMENT_NOT_FOUND',
  departmentCycle: 'DEPARTMENT_CYCLE',
  departmentNameTaken: 'DEPARTMENT_NAME_TAKEN',
  departmentNotEmpty: 'DEPARTMENT_NOT_EMPTY',
  positionNotFound: 'POSITION_NOT_FOUND',
  positionNameTaken: 'POSITION_NAME_TAKEN',
} as const;
