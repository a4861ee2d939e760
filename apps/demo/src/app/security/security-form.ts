import type { FastifyRequest } from 'fastify';
import { readCookie } from '../session/session-cookie';
import type { SessionService, SessionView } from '../session/session.service';
import { SecurityError } from './security-error';

const SIX_ASCII_DIGITS = /^[0-9]{6}$/; // RFC 6238 codes as authenticator apps show them; [0-9] is ASCII only
const MAX_CODE_INPUT = 32; // characters read from the field, spaces included

/**
 * A field of a posted form: its value when sent exactly once as a string, else undefined
 * (absent, repeated, or a JSON body's object or array). Own members only, so a body naming
 * `__proto__` or `toString` yields nothing.
 */
export function formField(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(body, name)) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The `Authentication code` field as six ASCII digits, spaces removed (apps show `123 456`),
 * or undefined when it cannot be a code: the page then answers as for a wrong code without
 * asking auth-server.
 */
export function authenticationCode(body: unknown): string | undefined {
  const raw = formField(body, 'code');
  if (raw === undefined || raw.length > MAX_CODE_INPUT) return undefined;
  const code = raw.replace(/[ \t]/g, '');
  return SIX_ASCII_DIGITS.test(code) ? code : undefined;
}

/** The demo session id of the request's cookie `cookieName`, if any. */
export function sessionIdOf(request: FastifyRequest, cookieName: string): string | undefined {
  return readCookie(request.headers.cookie, cookieName);
}

/** A live demo session: its id (the cookie's value) and what pages show of it. */
export interface LiveSession {
  readonly id: string;
  readonly session: SessionView;
}

/**
 * The live demo session `sessionId`.
 * @throws SecurityError `signed_out` without one, `unavailable` when the store cannot answer.
 */
export async function liveSession(sessions: SessionService, sessionId: string | undefined): Promise<LiveSession> {
  if (sessionId === undefined) throw new SecurityError('signed_out');
  let session: SessionView | undefined;
  try {
    session = await sessions.find(sessionId);
  } catch {
    throw new SecurityError('unavailable');
  }
  if (session === undefined) throw new SecurityError('signed_out');
  return { id: sessionId, session };
}
