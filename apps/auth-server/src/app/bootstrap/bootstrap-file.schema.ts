import { z } from 'zod';

/**
 * `AUTH_BOOTSTRAP_FILE`: clients (RFC 7591 metadata, validated by the client registry) and
 * users. Unknown top-level members are refused, so a typo does not pass silently.
 */
export const bootstrapFileSchema = z
  .object({
    clients: z.array(z.record(z.string(), z.unknown())).max(1_000).default([]),
    users: z
      .array(
        z
          .object({
            email: z.string().email().max(320),
            password: z.string().min(12, 'at least 12 characters').max(1024),
            roles: z.array(z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/)).max(50).default([]),
            disabled: z.boolean().default(false),
          })
          .strict(),
      )
      .max(10_000)
      .default([]),
  })
  .strict();

export type BootstrapFile = z.output<typeof bootstrapFileSchema>;
