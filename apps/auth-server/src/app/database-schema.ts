import { AUDIT_ENTITIES, AUDIT_MIGRATIONS } from '@authkit/audit';
import type { DatabaseSchema } from '@authkit/database';

/** Every entity and migration of auth-server, in the order the migrations apply. */
export const AUTH_SERVER_SCHEMA: DatabaseSchema = {
  entities: [...AUDIT_ENTITIES],
  migrations: [...AUDIT_MIGRATIONS],
};
