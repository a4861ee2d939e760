export {
  createTestDatabase,
  describeEachDatabase,
  openTestDataSource,
  testDatabaseKinds,
  type TestDatabase,
  type TestDatabaseKind,
} from './lib/test-database';
export { TcpProxy } from './lib/tcp-proxy';
export { captureLogs, SECRET_PATTERNS, findSecrets } from './lib/secret-scan';
export { UserAgent } from './lib/form-user-agent';
export {
  eachBounded,
  encodeFields,
  fieldQueryCases,
  fuzzReport,
  HOSTILE_ENCODED_VALUES,
  PROBE_CONCURRENCY,
  probeOf,
  routesOf,
  type Case,
  type Outcome,
  type Probe,
  type Route,
} from './lib/malformed-input';
