import { AuthorizationPageError } from '../authorize/authorization-errors';
import { AuthorizationParameters } from '../authorize/authorization-parameters';

/** The login form as submitted. Missing fields read as empty: they fail like wrong credentials. */
export interface LoginForm {
  readonly email: string;
  readonly password: string;
  readonly csrfToken: string | undefined;
  readonly authorizationRequest: string | undefined;
}

/** A second-factor form as submitted: the code (authenticator or recovery code). Missing reads as empty: it fails. */
export interface SecondFactorForm {
  readonly code: string;
  readonly csrfToken: string | undefined;
  readonly authorizationRequest: string | undefined;
}

/** The consent form as submitted. */
export interface ConsentForm {
  readonly allow: boolean;
  readonly csrfToken: string | undefined;
  readonly authorizationRequest: string | undefined;
}

/**
 * Reads the login form once, at the boundary.
 * @throws AuthorizationPageError `invalid_request` for a body that is not a form or repeats a field.
 */
export function loginForm(contentType: string | undefined, body: unknown): LoginForm {
  const fields = formFields(contentType, body);
  return {
    email: fields.get('email') ?? '',
    password: fields.get('password') ?? '',
    csrfToken: fields.get('csrf_token'),
    authorizationRequest: fields.get('authorization_request'),
  };
}

/**
 * Reads a second-factor form once, at the boundary; `field` is `code` or `recovery_code`.
 * @throws AuthorizationPageError `invalid_request` for a body that is not a form or repeats a field.
 */
export function secondFactorForm(contentType: string | undefined, body: unknown, field: 'code' | 'recovery_code'): SecondFactorForm {
  const fields = formFields(contentType, body);
  return {
    code: (fields.get(field) ?? '').trim(),
    csrfToken: fields.get('csrf_token'),
    authorizationRequest: fields.get('authorization_request'),
  };
}

/**
 * Reads the consent form once, at the boundary. Only the `Allow` button's value allows.
 * @throws AuthorizationPageError `invalid_request` for a body that is not a form or repeats a field.
 */
export function consentForm(contentType: string | undefined, body: unknown): ConsentForm {
  const fields = formFields(contentType, body);
  return {
    allow: fields.get('decision') === 'allow',
    csrfToken: fields.get('csrf_token'),
    authorizationRequest: fields.get('authorization_request'),
  };
}

function formFields(contentType: string | undefined, body: unknown): AuthorizationParameters {
  const malformed = () => new AuthorizationPageError('invalid_request', 'The form could not be read. Go back to the application and start again.');
  if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') throw malformed();
  const fields = AuthorizationParameters.from(body);
  if (fields.malformed || fields.repeatedNames().length > 0) throw malformed();
  return fields;
}
