/**
 * Patterns of values that must never reach a log line, an audit row or an error body:
 * JWTs, bearer headers, PEM keys, and the named secrets a test planted.
 */
export const SECRET_PATTERNS: readonly RegExp[] = [
  /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/, // compact JWS/JWT
  /Bearer\s+[A-Za-z0-9._~+/-]{8,}/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

/** Returns the planted values and secret-looking patterns found in `text`. */
export function findSecrets(text: string, planted: readonly string[] = []): string[] {
  const found = planted.filter((value) => value && text.includes(value));
  for (const pattern of SECRET_PATTERNS) {
    const match = pattern.exec(text);
    if (match) found.push(match[0]);
  }
  return found;
}

/** Collects what is written to a pino destination, one JSON line each. */
export function captureLogs(): { stream: { write(line: string): void }; lines: string[]; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    stream: { write: (line: string) => void lines.push(line) },
    text: () => lines.join(''),
  };
}
