import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AUDIT_COLUMNS, toAuditEvent, type AuditRow } from './audit-row.mapper';
import { chainHash } from './chain-hash';

/** The outcome of walking the chain; `firstBadId` names the first row that does not match. */
export type AuditVerification =
  | { readonly ok: true; readonly events: number }
  | {
      readonly ok: false;
      readonly events: number;
      /** Id of the first row whose sequence or hash is wrong; null when rows are missing at the end. */
      readonly firstBadId: string | null;
      readonly reason: 'hash_mismatch' | 'sequence_gap' | 'missing_tail';
    };

const PAGE = 2_000;

/**
 * Walks the chain from its anchor to its head, recomputing every hash. Detects a changed
 * row (hash mismatch), a removed or inserted row (sequence gap), and removed newest rows
 * (the head names more rows than exist). Runs in one REPEATABLE READ snapshot so that
 * concurrent appends do not disturb it.
 */
@Injectable()
export class AuditVerifierService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  verify(): Promise<AuditVerification> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const [chain] = (await manager.query(
        'SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chain WHERE id = 1',
      )) as { head_seq: string; head_hash: string; anchor_seq: string; anchor_hash: string }[];
      if (!chain) throw new Error('audit_chain has no head row: the audit migrations have not run');
      const head = BigInt(chain.head_seq);
      let expectedSeq = BigInt(chain.anchor_seq) + 1n;
      let previous = chain.anchor_hash;
      let events = 0;
      for (;;) {
        const rows = (await manager.query(
          `SELECT ${AUDIT_COLUMNS} FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
          [expectedSeq.toString(), chain.head_seq, PAGE],
        )) as AuditRow[];
        for (const row of rows) {
          events += 1;
          if (BigInt(row.seq) !== expectedSeq) return { ok: false, events, firstBadId: row.id, reason: 'sequence_gap' };
          const event = toAuditEvent(row);
          if (chainHash(previous, event, event.seq) !== event.hash) {
            return { ok: false, events, firstBadId: row.id, reason: 'hash_mismatch' };
          }
          previous = event.hash;
          expectedSeq += 1n;
        }
        if (rows.length < PAGE) break;
      }
      if (expectedSeq - 1n !== head || previous !== chain.head_hash) {
        return { ok: false, events, firstBadId: null, reason: 'missing_tail' };
      }
      return { ok: true, events };
    });
  }
}
