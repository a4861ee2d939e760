import { PATHS } from '../oauth/endpoints';
import { escapeHtml, htmlPage } from '../signin/page-layout';

/** Where the confirmation form posts, relative to the issuer. */
export const END_SESSION_CONFIRM_PATH = `${PATHS.endSession}/confirm`;

/** What the "Sign out?" page shows and carries. */
export interface ConfirmSignOutModel {
  readonly applicationName: string | undefined;
  readonly userEmail: string | undefined;
  readonly csrfToken: string;
  /** The validated request, carried through the form and validated again on post. */
  readonly clientId: string | undefined;
  readonly postLogoutRedirectUri: string | undefined;
  readonly state: string | undefined;
}

/**
 * The confirmation page: heading "Sign out?", buttons `Sign out` (first, so Enter signs
 * out) and `Stay signed in` (RP-Initiated Logout 1.0 s2: the OP asks the user whether to
 * log out, and does not when the answer is no).
 */
export function confirmSignOutPage(model: ConfirmSignOutModel): string {
  const who = model.userEmail ? ` You are signed in as ${escapeHtml(model.userEmail)}.` : '';
  const from = model.applicationName ? ` ${escapeHtml(model.applicationName)} asks to sign you out.` : '';
  const fields = [
    hidden('csrf_token', model.csrfToken),
    hidden('client_id', model.clientId),
    hidden('post_logout_redirect_uri', model.postLogoutRedirectUri),
    hidden('state', model.state),
  ].filter(Boolean);
  return htmlPage(
    'Sign out?',
    `<h1>Sign out?</h1>
<p>Do you want to sign out?${who}${from}</p>
<form method="post" action="${END_SESSION_CONFIRM_PATH}">
${fields.join('\n')}
<button type="submit" name="logout" value="yes">Sign out</button>
<button type="submit" name="logout" value="no">Stay signed in</button>
</form>`,
  );
}

/** The page after a sign-out that has nowhere to return to. */
export function signedOutPage(): string {
  return htmlPage('Signed out', '<h1>You are signed out</h1>\n<p>You can close this window.</p>');
}

/** The page after "Stay signed in" when there is no client to return to. */
export function stillSignedInPage(): string {
  return htmlPage('Still signed in', '<h1>You are still signed in</h1>\n<p>You can close this window.</p>');
}

function hidden(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
}
