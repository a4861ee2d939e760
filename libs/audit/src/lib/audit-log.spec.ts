import { DataSource } from 'typeorm';
import { AuditQueryService, AuditRetentionService, AuditVerifierService, type AuditService } from '../index';
import { describeEachDatabase, findSecrets, openTestDataSource } from '@authkit/testing';
import { auditSchema, auditWriter, secondInstance, tamper } from '../../test/audit-fixture';

describeEachDatabase('audit log', (database) => {
  let dataSource: DataSource;
  let writer: AuditService;
  let verifier: AuditVerifierService;
  let queries: AuditQueryService;

  beforeAll(async () => {
    dataSource = await openTestDataSource(database(), auditSchema);
    writer = auditWriter(dataSource);
    verifier = new AuditVerifierService(dataSource);
    queries = new AuditQueryService(dataSource);
  });
  afterAll(async () => {
    await writer.flush();
    await dataSource.destroy();
  });

  it('stores 10,000 events recorded concurrently by two writers, in one chain that verifies', async () => {
    const other = await secondInstance(database(), dataSource);
    const second = auditWriter(other);
    const before = (await verifier.verify()).events;
    try {
      const record = (service: AuditService, writerName: string) => async () => {
        for (let i = 0; i < 5_000; i++) {
          service.record({
            type: 'token.issued',
            outcome: 'success',
            actor: { type: 'client', id: writerName },
            details: { n: i },
          });
          if (i % 250 === 0) await new Promise((resolve) => setImmediate(resolve)); // interleave the writers
        }
      };
      await Promise.all([record(writer, 'writer-a')(), record(second, 'writer-b')()]);
      await Promise.all([writer.flush(), second.flush()]);
    } finally {
      if (other !== dataSource) await other.destroy();
    }
    const counts = (await dataSource.query(
      `SELECT actor_id, count(*)::int AS n, count(DISTINCT (details->>'n'))::int AS distinct_n
       FROM audit_events WHERE type = 'token.issued' GROUP BY actor_id ORDER BY actor_id`,
    )) as { actor_id: string; n: number; distinct_n: number }[];
    expect(counts).toEqual([
      { actor_id: 'writer-a', n: 5_000, distinct_n: 5_000 },
      { actor_id: 'writer-b', n: 5_000, distinct_n: 5_000 },
    ]);
    await expect(verifier.verify()).resolves.toEqual({ ok: true, events: before + 10_000 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    await writer.recordDurably({ type: 'auth.login.failed', outcome: 'failure' });
    await expect(dataSource.query(`UPDATE audit_events SET outcome = 'success'`)).rejects.toMatchObject({ code: '42501' });
    await expect(dataSource.query('DELETE FROM audit_events')).rejects.toMatchObject({ code: '42501' });
    await expect(dataSource.query('TRUNCATE audit_events')).rejects.toMatchObject({ code: '42501' });
    await expect(verifier.verify()).resolves.toMatchObject({ ok: true });
  });

  it('names the changed row when one row is altered with SQL', async () => {
    const id = await writer.recordDurably({ type: 'client.secret.rotated', outcome: 'success', subject: { type: 'client', id: 'c1' } });
    await writer.recordDurably({ type: 'token.revoked', outcome: 'success' });
    await tamper(dataSource, `UPDATE audit_events SET subject_id = 'c2' WHERE id = $1`, [id]);
    await expect(verifier.verify()).resolves.toMatchObject({ ok: false, firstBadId: id, reason: 'hash_mismatch' });
    await tamper(dataSource, `UPDATE audit_events SET subject_id = 'c1' WHERE id = $1`, [id]);
    await expect(verifier.verify()).resolves.toMatchObject({ ok: true });
  });

  it('detects a row removed from the middle and rows removed from the end', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await writer.recordDurably({ type: 'token.issued', outcome: 'success' }));
    const [removed] = (await dataSource.query('SELECT * FROM audit_events WHERE id = $1', [ids[1]])) as Record<string, unknown>[];
    await tamper(dataSource, 'DELETE FROM audit_events WHERE id = $1', [ids[1]]);
    await expect(verifier.verify()).resolves.toMatchObject({ ok: false, firstBadId: ids[2], reason: 'sequence_gap' });
    await restore(dataSource, removed!);

    const [last] = (await dataSource.query('SELECT * FROM audit_events WHERE id = $1', [ids[2]])) as Record<string, unknown>[];
    await tamper(dataSource, 'DELETE FROM audit_events WHERE id = $1', [ids[2]]);
    await expect(verifier.verify()).resolves.toMatchObject({ ok: false, firstBadId: null, reason: 'missing_tail' });
    await restore(dataSource, last!);
    await expect(verifier.verify()).resolves.toMatchObject({ ok: true });
  });

  it('answers queries by user, by type and by time, newest first, with cursor pagination', async () => {
    const user = `user-${Date.now()}`;
    const start = new Date();
    for (let i = 0; i < 7; i++) {
      writer.record({ type: i % 2 ? 'auth.login.failed' : 'auth.login.succeeded', outcome: i % 2 ? 'failure' : 'success', actor: { type: 'user', id: user }, details: { i } });
    }
    await writer.recordDurably({ type: 'mfa.disabled', outcome: 'success', actor: { type: 'client', id: 'admin' }, subject: { type: 'user', id: user } });

    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await queries.find({ userId: user, limit: 3, cursor });
      seen.push(...page.events.map((e) => Number(e.seq)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(8);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);

    const failures = await queries.find({ userId: user, type: 'auth.login.failed' });
    expect(failures.events.map((e) => e.details['i'])).toEqual([5, 3, 1]);
    const none = await queries.find({ userId: user, to: start });
    expect(none.events).toEqual([]);
    await expect(queries.find({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ status: 400 });
    await expect(queries.find({ limit: 501 })).rejects.toMatchObject({ status: 400 });
  });

  it('never stores a secret, password, code or token, even when a caller passes one', async () => {
    const planted = ['hunter2-correct-horse', 's3cr3t-client-secret-value-123456', '492039', 'rt_9f8e7d6c5b4a39281706'];
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const id = await writer.recordDurably({
      type: 'auth.login.failed',
      outcome: 'failure',
      userAgent: `curl with Bearer ${jwt}`,
      details: {
        password: planted[0]!,
        client_secret: planted[1]!,
        nested: { totpCode: planted[2]!, refresh_token: planted[3]!, list: [jwt] },
        note: `Authorization: Bearer ${jwt}`,
        error_code: 'invalid_grant',
      },
    });
    const [row] = (await dataSource.query('SELECT row_to_json(e)::text AS json FROM audit_events e WHERE id = $1', [id])) as { json: string }[];
    expect(findSecrets(row!.json, planted)).toEqual([]);
    expect(row!.json).toContain('invalid_grant'); // error codes are kept
  });

  it('purges old events and leaves the remaining chain verifiable', async () => {
    const retention = new AuditRetentionService(dataSource, writer);
    const total = Number((await dataSource.query('SELECT count(*) AS n FROM audit_events'))[0].n);
    const future = new Date(Date.now() + 3 * 86_400_000);
    const result = await retention.purgeOlderThan(1, future);
    expect(result.purged).toBe(total);
    const remaining = await dataSource.query('SELECT type FROM audit_events');
    expect(remaining).toEqual([{ type: 'audit.purged' }]);
    await expect(verifier.verify()).resolves.toEqual({ ok: true, events: 1 });
    await writer.recordDurably({ type: 'token.issued', outcome: 'success' });
    await expect(verifier.verify()).resolves.toEqual({ ok: true, events: 2 });
    await expect(retention.purgeOlderThan(1)).resolves.toEqual({ purged: 0, throughSeq: null });
  });
});

async function restore(dataSource: DataSource, row: Record<string, unknown>): Promise<void> {
  const columns = Object.keys(row);
  await tamper(
    dataSource,
    `INSERT INTO audit_events (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
    columns.map((c) => (c === 'details' ? JSON.stringify(row[c]) : row[c])),
  );
}
