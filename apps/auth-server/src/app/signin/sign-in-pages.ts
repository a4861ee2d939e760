import { escapeHtml, htmlPage } from './page-layout';
import { SIGN_IN_PATHS } from './sign-in-paths';

/** What a scope lets the application do, in words (OIDC Core 1.0 s5.4 for the standard ones). */
const SCOPE_WORDS: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are',
  profile: 'See your basic profile',
  email: 'See your email address',
  offline_access: 'Keep access while you are not using it',
};

/** What the login page shows. */
export interface LoginPageModel {
  readonly applicationName: string;
  readonly sealedRequest: string;
  readonly csrfToken: string;
  /** Prefilled into `Email`: the submitted address after a failure, or `login_hint`. */
  readonly email?: string;
  readonly failed?: boolean;
}

/** What the second-factor pages show (the authenticator code page and the recovery code page). */
export interface SecondFactorPageModel {
  readonly applicationName: string;
  readonly sealedRequest: string;
  readonly csrfToken: string;
  /** Shown after a wrong code: one generic message. */
  readonly failed?: boolean;
  /** Too many wrong authenticator codes: only a recovery code (or an administrator) helps now. */
  readonly locked?: boolean;
}

/** What the consent page shows. */
export interface ConsentPageModel {
  readonly applicationName: string;
  readonly userEmail: string;
  readonly scope: readonly string[];
  readonly sealedRequest: string;
  readonly csrfToken: string;
}

/** The login page (CONTRACT: fields labelled `Email` and `Password`, button `Sign in`). */
export function loginPage(model: LoginPageModel): string {
  const error = model.failed ? '<p class="error" role="alert" id="login-error">Incorrect email or password.</p>\n' : '';
  return htmlPage(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to ${escapeHtml(model.applicationName)}</p>
${error}<form method="post" action="${SIGN_IN_PATHS.login}">
${hidden(model.sealedRequest, model.csrfToken)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${escapeHtml(model.email ?? '')}"${model.failed ? ' aria-describedby="login-error"' : ''}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

/**
 * The second-factor page (CONTRACT: field `Authentication code`, button `Verify`, and a link
 * `Use a recovery code`). `autocomplete="one-time-code"` lets browsers and password managers
 * offer the code; the server alone decides what is valid.
 */
export function secondFactorPage(model: SecondFactorPageModel): string {
  const message = model.locked
    ? 'Too many wrong codes: codes from your app are refused until you sign in with a recovery code or an administrator resets your two-step verification.'
    : 'That code did not work. Try the current code from your app.';
  const error = model.failed ? `<p class="error" role="alert" id="code-error">${message}</p>\n` : '';
  return htmlPage(
    'Two-step verification',
    `<h1>Two-step verification</h1>
<p>Enter the 6-digit code from your authenticator app to continue to ${escapeHtml(model.applicationName)}.</p>
${error}<form method="post" action="${SIGN_IN_PATHS.secondFactor}">
${hidden(model.sealedRequest, model.csrfToken)}
<label for="code">Authentication code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus${model.failed ? ' aria-describedby="code-error"' : ''}>
<button type="submit">Verify</button>
</form>
<p><a href="${SIGN_IN_PATHS.recoveryCode}?authorization_request=${encodeURIComponent(model.sealedRequest)}">Use a recovery code</a></p>`,
  );
}

/** The recovery code page (CONTRACT: field `Recovery code`, button `Verify`). */
export function recoveryCodePage(model: SecondFactorPageModel): string {
  const error = model.failed ? '<p class="error" role="alert" id="code-error">That recovery code did not work.</p>\n' : '';
  return htmlPage(
    'Use a recovery code',
    `<h1>Use a recovery code</h1>
<p>Enter one of the recovery codes you saved when you set up two-step verification. Each code works once.</p>
${error}<form method="post" action="${SIGN_IN_PATHS.recoveryCode}">
${hidden(model.sealedRequest, model.csrfToken)}
<label for="recovery_code">Recovery code</label>
<input id="recovery_code" name="recovery_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus${model.failed ? ' aria-describedby="code-error"' : ''}>
<button type="submit">Verify</button>
</form>
<p><a href="${SIGN_IN_PATHS.secondFactor}?authorization_request=${encodeURIComponent(model.sealedRequest)}">Use your authenticator app instead</a></p>`,
  );
}

/** The consent page (CONTRACT: buttons `Allow` and `Deny`). */
export function consentPage(model: ConsentPageModel): string {
  const items = model.scope.map((s) => `<li>${escapeHtml(SCOPE_WORDS[s] ?? `Use “${s}”`)}</li>`).join('\n');
  return htmlPage(
    'Allow access?',
    `<h1>Allow ${escapeHtml(model.applicationName)} access?</h1>
<p>You are signed in as ${escapeHtml(model.userEmail)}. ${escapeHtml(model.applicationName)} asks to:</p>
<ul aria-label="Requested permissions">
${items || '<li>Know that you signed in</li>'}
</ul>
<form method="post" action="${SIGN_IN_PATHS.consent}">
${hidden(model.sealedRequest, model.csrfToken)}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  );
}

/** An error page: a fixed message and a stable code; nothing of the request, and no link back. */
export function errorPage(title: string, message: string, code: string): string {
  return htmlPage(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
<p>Error code: <code id="error-code">${escapeHtml(code)}</code></p>`,
  );
}

function hidden(sealedRequest: string, csrfToken: string): string {
  return `<input type="hidden" name="authorization_request" value="${escapeHtml(sealedRequest)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(csrfToken)}">`;
}
