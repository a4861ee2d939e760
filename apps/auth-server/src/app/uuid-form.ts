const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True when `value` has the form of a UUID, as every user and session id here does. Ids of
 * another form name nothing and are not looked up: PostgreSQL would fail the `uuid` cast
 * (or a U+0000 in text) instead of matching no row.
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
