import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from './audit.service';

const DAY_MS = 86_400_000;

/** What a purge removed: `purged` rows, up to and including sequence number `throughSeq`. */
export interface AuditPurgeResult {
  readonly purged: number;
  readonly throughSeq: string | null;
}

/**
 * Retention: removes the oldest events and moves the chain's anchor to the last removed
 * row, so that what remains still verifies from its new starting point. Only a prefix of
 * the chain is ever removed: the rows before the first event that is younger than the
 * cut-off. The purge itself is recorded as an `audit.purged` event.
 */
@Injectable()
export class AuditRetentionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Purges events older than `days` days (whole days, at least 1). */
  async purgeOlderThan(days: number, now: Date = new Date()): Promise<AuditPurgeResult> {
    if (!Number.isInteger(days) || days < 1) throw new RangeError('retention must be a whole number of days, at least 1');
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    const result = await this.dataSource.transaction(async (manager) => {
      // Same lock as the writers: no append interleaves with moving the anchor.
      await manager.query('SELECT 1 FROM audit_chain WHERE id = 1 FOR UPDATE');
      const [bound] = (await manager.query(
        `SELECT COALESCE(
           (SELECT min(seq) - 1 FROM audit_events WHERE occurred_at >= $1),
           (SELECT max(seq) FROM audit_events)) AS through`,
        [cutoff],
      )) as { through: string | null }[];
      const through = bound?.through ?? null;
      if (through === null) return { purged: 0, throughSeq: null };
      const [last] = (await manager.query('SELECT hash FROM audit_events WHERE seq = $1', [through])) as { hash: string }[];
      if (!last) return { purged: 0, throughSeq: null };
      // Transaction-local: the append-only trigger lets DELETE through for this transaction only.
      await manager.query(`SELECT set_config('authkit.audit_purge', 'on', true)`);
      const deleted = (await manager.query('DELETE FROM audit_events WHERE seq <= $1', [through])) as [unknown, number];
      await manager.query('UPDATE audit_chain SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1', [through, last.hash]);
      return { purged: deleted[1], throughSeq: through };
    });
    if (result.purged > 0) {
      await this.audit.recordDurably({
        type: 'audit.purged',
        outcome: 'success',
        actor: { type: 'system', id: 'retention' },
        details: { purged: result.purged, through_seq: result.throughSeq, older_than_days: days },
      });
    }
    return result;
  }
}
