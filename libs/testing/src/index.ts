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
