// autocannon, typed: it ships no type declarations; this is the part of its API the benchmarks use.

export interface AutocannonResult {
  readonly duration: number; // seconds, as measured by autocannon
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly '2xx': number;
  readonly statusCodeStats?: Record<string, { count: number }>;
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number };
  readonly requests: { readonly total: number; readonly average: number };
}
export interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest | undefined;
  onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
}
export type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
export const autocannon = require('autocannon') as Autocannon;
