// The error codes the retention and export context answers with. No framework imports.
export const RetentionErrorCodes = {
  /** retentionDays is not null and not a whole number of days from 1 to RETENTION_DAYS_MAX. */
  retentionDaysInvalid: 'RETENTION_DAYS_INVALID',
} as const;
