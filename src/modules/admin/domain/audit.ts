// The audit trail's vocabulary. Framework-free.

/** Every action the admin module records. `*_expired` rows are written by the system. */
export const AUDIT_ACTIONS = [
  'user.ban',
  'user.disable',
  'user.unban',
  'user.sanction_expired',
  'message.delete',
  'member.mute',
  'member.unmute',
  'member.mute_expired',
  'member.kick',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditTargetType = 'user' | 'message';

/** One row to append. `actorId` null: the system did it. */
export interface NewAuditEntry {
  actorId: string | null;
  action: AuditAction;
  targetType: AuditTargetType;
  targetId: string;
  reason: string | null;
  details: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  id: string;
  actorUsername: string | null;
  createdAt: Date;
}

export interface AuditFilter {
  actorId?: string;
  action?: AuditAction;
  from?: Date;
  to?: Date;
}
