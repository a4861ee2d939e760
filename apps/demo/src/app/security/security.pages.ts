import { totpQrCodeSvg } from '@authkit/mfa';
import { escapeHtml, page } from '../page';
import type { MfaStatus, SecurityEvent, TotpEnrollment } from './account-api.client';

/** Why `Set up authenticator app` may first ask for the password again (auth-server wants a sign-in within 15 minutes). */
export const RECENT_SIGN_IN_NOTE =
  'Setting up needs a recent sign-in: if you signed in more than 15 minutes ago, you will be asked to sign in again first, and then come back here.';

/** The one message for a refused code, whatever the reason (wrong, reused, malformed). */
export const WRONG_CODE_MESSAGE = 'That code did not work. Enter the current code from your authenticator app.';

/** At most this many recovery codes left, `/security` suggests new ones. */
export const FEW_RECOVERY_CODES = 3;

/** The suggestion shown beside `Recovery codes left: N.` when N is {@link FEW_RECOVERY_CODES} or fewer. */
export const FEW_RECOVERY_CODES_WARNING = 'You are running out of recovery codes: get new ones so that you can still sign in if you lose your authenticator app.';

/**
 * `/security`: two-factor status with `Set up authenticator app`, or with `Get new recovery
 * codes` and `Turn off two-factor authentication`, and the `Recent security events` table.
 * Every value from auth-server is escaped.
 */
export function overviewPage(csrfToken: string, status: MfaStatus, events: readonly SecurityEvent[]): string {
  const fewCodes = status.recoveryCodesRemaining <= FEW_RECOVERY_CODES ? `\n<p><strong>${escapeHtml(FEW_RECOVERY_CODES_WARNING)}</strong></p>` : '';
  const twoFactor = status.totpEnabled
    ? `<p>Two-factor authentication is <strong>on</strong>: signing in asks for a code from your authenticator app.
Recovery codes left: ${status.recoveryCodesRemaining}.</p>${fewCodes}
${postButton('/security/recovery-codes/new', csrfToken, 'Get new recovery codes')}
${postButton('/security/totp/turn-off', csrfToken, 'Turn off two-factor authentication')}`
    : `<p>Two-factor authentication is <strong>off</strong>. With an authenticator app, signing in also asks for a one-time code.</p>
<p>${escapeHtml(RECENT_SIGN_IN_NOTE)}</p>
${postButton('/security/totp/setup', csrfToken, 'Set up authenticator app')}`;
  return page(
    'Security',
    `<h1>Security</h1>
<p><a href="/">Home</a></p>
<h2>Two-factor authentication</h2>
${twoFactor}
<h2>Recent security events</h2>
${eventsTable(events)}`,
  );
}

/**
 * The setup page: the QR code of the enrollment's `otpauth://` URI, the secret as text
 * (labelled `Secret key`), a field `Authentication code` and `Confirm`.
 */
export async function setupPage(csrfToken: string, enrollment: TotpEnrollment, wrongCode = false): Promise<string> {
  const qr = await totpQrCodeSvg(enrollment.otpauthUri);
  return page(
    'Set up authenticator app',
    `<h1>Set up authenticator app</h1>
${wrongCode ? errorMessage(WRONG_CODE_MESSAGE) : ''}
<p>Scan this QR code with your authenticator app, or type the secret key into it.</p>
<div style="width:16rem">${qr}</div>
<p id="secret-label">Secret key</p>
<p><code aria-labelledby="secret-label">${escapeHtml(enrollment.secret)}</code></p>
<form method="post" action="/security/totp/confirm">
${csrfField(csrfToken)}
${codeField()}
<button type="submit">Confirm</button>
</form>
<p><a href="/security">Cancel</a></p>`,
  );
}

/**
 * After a confirmed enrollment, or with `replaced` after `Get new codes`: the recovery codes,
 * shown this once, as the list `Recovery codes` (replaced ones: the old ones no longer work).
 */
export function recoveryCodesPage(csrfToken: string, codes: readonly string[], replaced = false): string {
  const title = replaced ? 'New recovery codes' : 'Two-factor authentication is on';
  return page(
    title,
    `<h1>${title}</h1>
${replaced ? '<p>Your old recovery codes no longer work.</p>\n' : ''}<p>Keep these recovery codes somewhere safe. Each one signs you in once if you lose your authenticator app.
They are shown only now.</p>
<ul aria-label="Recovery codes">
${codes.map((code) => `<li><code>${escapeHtml(code)}</code></li>`).join('\n')}
</ul>
<p><a href="/security">Done</a></p>
${postButton('/security/totp/turn-off', csrfToken, 'Turn off two-factor authentication')}`,
  );
}

/** The second step of `Turn off two-factor authentication`: a current code (`Authentication code`) and `Turn off`. */
export function turnOffPage(csrfToken: string, wrongCode = false): string {
  return page(
    'Turn off two-factor authentication',
    `<h1>Turn off two-factor authentication</h1>
${wrongCode ? errorMessage(WRONG_CODE_MESSAGE) : ''}
<p>Enter the current code from your authenticator app to turn two-factor authentication off.</p>
<form method="post" action="/security/totp/disable">
${csrfField(csrfToken)}
${codeField()}
<button type="submit">Turn off</button>
</form>
<p><a href="/security">Cancel</a></p>`,
  );
}

/** The second step of `Get new recovery codes`: a current code (`Authentication code`) and `Get new codes`. */
export function newRecoveryCodesPage(csrfToken: string, wrongCode = false): string {
  return page(
    'Get new recovery codes',
    `<h1>Get new recovery codes</h1>
${wrongCode ? errorMessage(WRONG_CODE_MESSAGE) : ''}
<p>Enter the current code from your authenticator app to get ten new recovery codes. Your current recovery codes will stop working.</p>
<form method="post" action="/security/recovery-codes/regenerate">
${csrfField(csrfToken)}
${codeField()}
<button type="submit">Get new codes</button>
</form>
<p><a href="/security">Cancel</a></p>`,
  );
}

/** A small page for a refused step: fixed text, a link back. */
export function messagePage(title: string, text: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p>\n<p><a href="/security">Back to security</a></p>`);
}

function eventsTable(events: readonly SecurityEvent[]): string {
  const rows = events.length
    ? events.map((e) => `<tr><td>${time(e.time)}</td><td>${escapeHtml(e.type)}</td><td>${escapeHtml(e.outcome)}</td></tr>`).join('\n')
    : '<tr><td colspan="3">No security events yet.</td></tr>';
  return `<table aria-label="Recent security events">
<thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Outcome</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

/** An ISO instant as `2026-11-29 12:00:00 UTC` in a `<time>` element; anything else as escaped text. */
function time(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return escapeHtml(iso);
  const shown = new Date(at).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
  return `<time datetime="${escapeHtml(new Date(at).toISOString())}">${shown}</time>`;
}

function postButton(action: string, csrfToken: string, label: string): string {
  return `<form method="post" action="${action}">
${csrfField(csrfToken)}
<button type="submit">${label}</button>
</form>`;
}

function csrfField(csrfToken: string): string {
  return `<input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">`;
}

function codeField(): string {
  return `<p><label for="code">Authentication code</label><br>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required autofocus></p>`;
}

function errorMessage(text: string): string {
  return `<p role="alert"><strong>${escapeHtml(text)}</strong></p>`;
}
