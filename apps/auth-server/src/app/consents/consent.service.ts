import { Injectable } from '@nestjs/common';

/** A remembered consent: which scopes a user granted a client. */
export interface ConsentView {
  readonly client_id: string;
  readonly scope: string;
  readonly granted_at: string;
}

/** Remembered consent. Implemented in the sessions issue. */
@Injectable()
export class ConsentService {
  /** True when the user has already granted this client every scope in `scope`. */
  async covers(_userId: string, _clientId: string, _scope: readonly string[]): Promise<boolean> {
    throw new Error('not implemented');
  }

  /** Remembers the grant (adding to what was granted before). */
  async grant(_userId: string, _clientId: string, _scope: readonly string[]): Promise<void> {
    throw new Error('not implemented');
  }

  async list(_userId: string): Promise<ConsentView[]> {
    throw new Error('not implemented');
  }

  /** Forgets the consent and revokes the client's refresh tokens for the user; false when there was none. */
  async revoke(_userId: string, _clientId: string): Promise<boolean> {
    throw new Error('not implemented');
  }
}
