import { errorCodes, type FastifyInstance } from 'fastify';
import { ACCOUNT_PATHS } from '../account/account.controller';
import { END_SESSION_CONFIRM_PATH } from '../logout/end-session-pages';
import { SIGN_IN_PATHS } from '../signin/sign-in-paths';
import { PATHS } from './endpoints';

/** Endpoints whose body must be `application/x-www-form-urlencoded`. */
const FORM_ENDPOINTS: ReadonlySet<string> = new Set([
  PATHS.token,
  PATHS.revocation,
  PATHS.introspection,
  PATHS.authorization,
  SIGN_IN_PATHS.login,
  SIGN_IN_PATHS.consent,
  SIGN_IN_PATHS.secondFactor,
  SIGN_IN_PATHS.recoveryCode,
  PATHS.endSession,
  END_SESSION_CONFIRM_PATH,
  ...Object.values(ACCOUNT_PATHS),
]);

/**
 * Without this, Fastify would answer a body it has no parser for (`application/xml`,
 * `multipart/form-data`, ...) with its own 415 before the controller runs. RFC 6749 s5.2
 * (and RFC 7009 s2.2.1, RFC 7662 s2.3) wants a 400 `invalid_request` there, and the
 * browser-facing forms (authorization endpoint, sign-in, consent, sign-out) answer with their HTML
 * error page. So on the form endpoints, such a body is read (within the body limit) and
 * dropped, and each endpoint refuses the content type the way it refuses JSON. Every other
 * route keeps the 415.
 */
export function readAnyBodyOnFormEndpoints(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request, _body, done) => {
    if (FORM_ENDPOINTS.has(request.routeOptions.url ?? '')) done(null, undefined);
    else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type']), undefined);
  });
}
