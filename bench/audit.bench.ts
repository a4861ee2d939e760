/**
 * audit.batched: events per second recorded into a real PostgreSQL through the audit
 * service's batched writer, against one INSERT per event (one transaction each) on the
 * same database in the same run.
 *
 * Run alone: node -r ./libs/testing/farm/register-ts.cjs bench/audit.bench.ts
 * Protocol (see bench/README.md): the last stdout line is {"figures":[...]}.
 *
 * Environment:
 *   DATABASE_URL               server to use (default postgres://postgres@127.0.0.1:5432/postgres);
 *                              it must be on the loopback interface. A fresh database
 *                              authkit_bench_<hex> is created on it and dropped at the end.
 *   BENCH_AUDIT_SECONDS        length of each measurement (default 5)
 *   BENCH_AUDIT_MAX_EVENTS     cap on events recorded by the batched measurement (default 100000)
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  AUDIT_ENTITIES,
  AUDIT_MIGRATIONS,
  AuditChainWriter,
  AuditService,
  type AuditEventInput,
  type PendingEvent,
} from '@authkit/audit';
import { databaseOptions } from '@authkit/database';
import { type Figure, positive, round, progressLog, runBenchmark } from './support/bench-kit';

const SERVER_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = positive(process.env['BENCH_AUDIT_SECONDS'], 5);
const MAX_EVENTS = positive(process.env['BENCH_AUDIT_MAX_EVENTS'], 100_000);
const BATCH_SIZE = 1_000;
const FLUSH_INTERVAL_MS = 5;
const CHUNK = 500; // events recorded between two yields of the simulated load
const WARM_UP_EVENTS = 300;
const FLUSH_TIMEOUT_MS = 90_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);


interface Measurement {
  readonly events: number;
  readonly seconds: number;
}


const log = progressLog('audit.bench');

function now(): number {
  return performance.now();
}

function input(n: number): AuditEventInput {
  return {
    type: 'token.issued',
    outcome: 'success',
    actor: { type: 'client', id: 'bench' },
    ip: '127.0.0.1',
    requestId: randomUUID(),
    details: { scope: 'demo:read', n },
  };
}

/** What AuditService.record builds from {@link input}; the reference builds it itself. */
function pending(n: number): PendingEvent {
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    type: 'token.issued',
    outcome: 'success',
    actor: { type: 'client', id: 'bench' },
    subject: null,
    ip: '127.0.0.1',
    userAgent: null,
    requestId: randomUUID(),
    details: { scope: 'demo:read', n },
  };
}

/**
 * The reference, "one INSERT per event": each event is appended on its own, in its own
 * transaction, awaited before the next, exactly as a caller without batching would do
 * it (await the write inside the request). It calls AuditChainWriter.append([event])
 * directly rather than AuditService with batchSize 1, so that the figure holds only the
 * database cost (BEGIN, head row lock, INSERT, head UPDATE, COMMIT with its WAL flush)
 * and not the service's timer scheduling between batches (a setTimeout per batch, at
 * least 1 ms in Node), which would flatter the batched figure. Appends are sequential
 * because the chain serialises them anyway on the head row lock.
 */
async function oneInsertPerEvent(writer: AuditChainWriter, seconds: number, first: number): Promise<Measurement> {
  const start = now();
  const deadline = start + seconds * 1000;
  let events = 0;
  while (now() < deadline) {
    await writer.append([pending(first + events)], false);
    events += 1;
  }
  return { events, seconds: (now() - start) / 1000 };
}

/**
 * The batched writer under a simulated load: a producer records events as fast as it
 * can, in chunks of {@link CHUNK}, yielding to the event loop between chunks (as request
 * handlers would) so the service's writer loop runs concurrently. It stops after
 * `seconds` or `maxEvents`, whichever comes first; the time includes the final flush,
 * so every counted event is committed.
 */
async function batched(service: AuditService, seconds: number, maxEvents: number, first: number): Promise<Measurement> {
  const start = now();
  const deadline = start + seconds * 1000;
  let events = 0;
  while (events < maxEvents && now() < deadline) {
    const end = Math.min(events + CHUNK, maxEvents);
    for (; events < end; events += 1) service.record(input(first + events));
    await nextTurn();
  }
  await service.flush(FLUSH_TIMEOUT_MS);
  return { events, seconds: (now() - start) / 1000 };
}

function databaseUrl(server: URL, database: string): string {
  const url = new URL(server.href);
  url.pathname = `/${database}`;
  return url.href;
}

function where(url: URL): string {
  return `${url.hostname}:${url.port || '5432'}`;
}

async function connectAdmin(server: URL): Promise<Client> {
  const admin = new Client({ connectionString: server.href, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw Object.assign(new Error(`cannot reach PostgreSQL at ${where(server)}: ${(error as Error).message}`), {
      unreachable: true,
    });
  }
  return admin;
}

async function measure(url: string): Promise<Figure> {
  const dataSource = new DataSource(
    databaseOptions({ url, embedded: false }, { entities: AUDIT_ENTITIES, migrations: AUDIT_MIGRATIONS }),
  );
  await dataSource.initialize();
  try {
    const writer = new AuditChainWriter(dataSource);
    let recorded = 0;

    log(`reference: one transaction per event for ${SECONDS} s`);
    while (recorded < WARM_UP_EVENTS) {
      await writer.append([pending(recorded)], false);
      recorded += 1;
    }
    const reference = await oneInsertPerEvent(writer, SECONDS, recorded);
    recorded += reference.events;

    log(`batched: AuditService, batches of ${BATCH_SIZE}, up to ${SECONDS} s or ${MAX_EVENTS} events, then flush`);
    const service = new AuditService(writer, {
      bufferLimit: 1_000_000,
      batchSize: BATCH_SIZE,
      flushIntervalMs: FLUSH_INTERVAL_MS,
    });
    recorded += (await batched(service, 60, WARM_UP_EVENTS, recorded)).events;
    const result = await batched(service, SECONDS, MAX_EVENTS, recorded);
    recorded += result.events;
    const stats = service.getStats();
    if (stats.buffered !== 0) throw new Error(`${stats.buffered} events still buffered after flush`);
    if (stats.failedAttempts !== 0) log(`warning: ${stats.failedAttempts} batch attempts failed and were retried`);

    // Sanity: every recorded event is a row, and the chain head and sequence agree.
    const [check] = (await dataSource.query(
      `SELECT (SELECT count(*) FROM audit_events)::bigint AS rows,
              (SELECT coalesce(max(seq), 0) FROM audit_events)::bigint AS max_seq,
              (SELECT head_seq FROM audit_chain WHERE id = 1)::bigint AS head_seq`,
    )) as { rows: string; max_seq: string; head_seq: string }[];
    if (!check || Number(check.rows) !== recorded || Number(check.max_seq) !== recorded || Number(check.head_seq) !== recorded) {
      throw new Error(`row count check failed: recorded ${recorded}, database has ${JSON.stringify(check)}`);
    }
    log(`verified: ${recorded} rows, chain head at ${check.head_seq}`);

    const value = round(result.events / result.seconds);
    const referenceValue = round(reference.events / reference.seconds);
    return {
      benchmark: 'audit.batched',
      value,
      unit: 'events/s',
      reference: 'one INSERT per event (one transaction each), same database and run',
      reference_value: referenceValue,
      ratio: value / referenceValue,
      events: result.events,
      reference_events: reference.events,
      seconds: Math.round(result.seconds * 1000) / 1000,
      reference_seconds: Math.round(reference.seconds * 1000) / 1000,
      batch_size: BATCH_SIZE,
    };
  } finally {
    await dataSource.destroy();
  }
}

async function main(): Promise<number> {
  let server: URL;
  try {
    server = new URL(SERVER_URL);
  } catch {
    log('DATABASE_URL is not a valid URL');
    return 2;
  }
  if (!LOOPBACK.has(server.hostname)) {
    log(`refusing to benchmark against ${server.hostname}: the benchmarks only talk to 127.0.0.1`);
    return 2;
  }

  let admin: Client;
  try {
    admin = await connectAdmin(server);
  } catch (error) {
    log(`${(error as Error).message}`);
    log('start PostgreSQL on 127.0.0.1:5432 (user postgres) or set DATABASE_URL to a local server');
    return 2;
  }

  const database = `authkit_bench_${randomBytes(6).toString('hex')}`;
  let dropped: Promise<void> | undefined;
  let stopping = false;
  const drop = (): Promise<void> =>
    (dropped ??= admin
      .query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
      .then(() => undefined)
      .catch((error: Error) => log(`could not drop database ${database}: ${error.message}`))
      .finally(() => admin.end().catch(() => undefined)));
  // Killed by the orchestrator's timeout or by Ctrl-C: still drop the database.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      log(`${signal}: dropping ${database}`);
      void drop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }

  let figure: Figure | undefined;
  let failed = false;
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    log(`created database ${database} on ${where(server)}`);
    figure = await measure(databaseUrl(server, database));
  } catch (error) {
    failed = true;
    if (!stopping) log(`failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await drop();
  }
  process.stdout.write(`${JSON.stringify({ figures: figure ? [figure] : [] })}\n`);
  return failed ? 1 : 0;
}

runBenchmark(main, log);
