import { z } from 'zod';

/**
 * `AUTH_BOOTSTRAP_FILE`: clients (RFC 7591 metadata, validated by the client registry) and
 * users. Unknown top-level members are refused, so a typo does not pass silently.
 */
export const bootstrapFileSchema = z
  .object({
    clients: z.array(z.record(z.string(), z.unknown())).max(1_000).default([]),
    users: z.array(z.record(z.string(), z.unknown())).max(10_000).default([]),
  })
  .strict();

export type BootstrapFile = z.output<typeof bootstrapFileSchema>;
