// The error codes the roles context answers with (besides the shared VALIDATION_FAILED,
// PERMISSION_DENIED and USER_NOT_FOUND). No framework imports.
export const RoleErrorCodes = {
  notFound: 'ROLE_NOT_FOUND',
  nameTaken: 'ROLE_NAME_TAKEN',
  builtIn: 'ROLE_BUILT_IN',
  assignmentNotFound: 'ROLE_ASSIGNMENT_NOT_FOUND',
} as const;
