/**
 * Raised at boot when the environment cannot be turned into a valid configuration.
 * The message names every offending variable and the form it expects; it never
 * repeats the value of a secret variable.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
