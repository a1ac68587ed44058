import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor } from '../../common/cursor.js';
import { Errors } from '../../common/errors/domain-error.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { AuditRepository } from './domain/admin.repository.js';
import type { AuditEntry, AuditFilter, NewAuditEntry } from './domain/audit.js';

@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  append(entry: NewAuditEntry): Promise<void> {
    return this.audit.append(entry);
  }

  async list(
    filter: AuditFilter,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<AuditEntry>> {
    if (filter.from && filter.to && filter.from > filter.to)
      throw Errors.validation('VALIDATION_FAILED', 'from must not be after to');
    let beforeId: string | null = null;
    if (cursor) {
      const [id] = decodeCursor(cursor, ['string']) as [string];
      if (!/^[1-9]\d{0,18}$/.test(id))
        throw Errors.validation('VALIDATION_FAILED', 'cursor is not a valid cursor');
      beforeId = id;
    }
    const page = await this.audit.list(filter, limit, beforeId);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }
}
