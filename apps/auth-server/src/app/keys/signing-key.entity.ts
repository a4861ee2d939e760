import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Lifecycle of a signing key: published first, then signing, then published until its tokens expire. */
export type SigningKeyStatus = 'next' | 'active' | 'retired';

/**
 * A token-signing key pair. The private key is stored only encrypted with `AUTH_KEK`
 * (AES-256-GCM, bound to the key id); the public JWK is published at `jwks_uri` from the
 * moment the key is created until `publishUntil`.
 */
@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ type: 'text' })
  alg!: string;

  @Column({ type: 'text' })
  status!: SigningKeyStatus;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, string>;

  @Column({ name: 'private_key_sealed', type: 'text' })
  privateKeySealed!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;

  /** Retired keys stay published until every token they signed has expired. */
  @Column({ name: 'publish_until', type: 'timestamptz', nullable: true })
  publishUntil!: Date | null;
}
