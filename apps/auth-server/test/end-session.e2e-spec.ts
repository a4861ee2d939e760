import { describeEachDatabase } from '@authkit/testing';
import { SigningKeyService } from '../src/app/keys/signing-key.service';
import { FALLBACK, RP, startEndSessionKit, type EndSessionKit } from './end-session.fixture';

// OpenID Connect RP-Initiated Logout 1.0 at auth-server: the end-session endpoint ends the
// browser's sign-in session for a verified id_token_hint and returns to a registered
// post_logout_redirect_uri with state; without a hint the user confirms first. Sign-in
// goes through the real login page (UserAgent); "session ended" is checked the way a
// relying party sees it: prompt=none answers login_required.

const STATE = 'st ate/with?odd=chars&é';

describeEachDatabase('end-session endpoint (RP-Initiated Logout)', (database) => {
  let kit: EndSessionKit;

  beforeAll(async () => {
    kit = await startEndSessionKit(database());
  });
  afterAll(() => kit?.close());

  it('is announced in discovery as end_session_endpoint (RP-Initiated Logout s2.1)', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const metadata = (await (await fetch(`${kit.server.url}${path}`)).json()) as Record<string, unknown>;
      expect(metadata['end_session_endpoint']).toBe(`${kit.server.config.issuer}/oauth2/logout`);
    }
  });

  it('ends the session for a valid id_token_hint and redirects (302) to the registered URI with the exact state', async () => {
    const browser = await kit.signIn();
    expect(await kit.alive(browser.agent)).toBe(true);
    const response = await kit.logout({ id_token_hint: browser.idToken, post_logout_redirect_uri: RP.postLogoutRedirectUri, state: STATE }, browser.cookie);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(RP.postLogoutRedirectUri);
    expect(location.searchParams.getAll('state')).toEqual([STATE]);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.getSetCookie().find((c) => c.startsWith('auth_session='))).toMatch(/^auth_session=;.*Max-Age=0/);
    // The agent still sends the old cookie: it no longer signs anybody in.
    expect(await kit.alive(browser.agent)).toBe(false);

    const events = await kit.auditEvents('auth.logout', browser.userId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'success', actor: { type: 'user', id: browser.userId }, details: { method: 'id_token_hint', client: RP.clientId } });
    expect(JSON.stringify(events)).not.toContain(browser.idToken);
    expect(JSON.stringify(events)).not.toContain(browser.cookie);
    expect(await kit.auditEvents('session.ended', browser.userId)).toEqual([expect.objectContaining({ details: expect.objectContaining({ reason: 'signed_out' }) })]);
  });

  it('accepts POST with a form body and answers 303', async () => {
    const browser = await kit.signIn();
    const response = await fetch(`${kit.server.url}/oauth2/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `auth_session=${browser.cookie}` },
      body: new URLSearchParams({ id_token_hint: browser.idToken, post_logout_redirect_uri: RP.postLogoutRedirectUri, client_id: RP.clientId }),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(RP.postLogoutRedirectUri);
    expect(await kit.alive(browser.agent)).toBe(false);
  });

  it('shows "You are signed out" when no post_logout_redirect_uri is given', async () => {
    const browser = await kit.signIn();
    const response = await kit.logout({ id_token_hint: browser.idToken }, browser.cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('You are signed out');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await kit.alive(browser.agent)).toBe(false);
  });

  it('accepts an expired ID token as the hint (RP-Initiated Logout s2)', async () => {
    const browser = await kit.signIn();
    const now = Math.floor(Date.now() / 1000);
    const expired = await kit.server.app.get(SigningKeyService).signJwt('JWT', {
      iss: kit.server.config.issuer, sub: browser.userId, aud: RP.clientId, azp: RP.clientId, iat: now - 7_200, exp: now - 3_600, auth_time: now - 7_200,
    });
    const response = await kit.logout({ id_token_hint: expired, post_logout_redirect_uri: RP.postLogoutRedirectUri }, browser.cookie);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(RP.postLogoutRedirectUri);
    expect(await kit.alive(browser.agent)).toBe(false);
  });

  it('accepts <origin>/ of a redirect URI when the client registers no post_logout_redirect_uris (documented fallback)', async () => {
    const browser = await kit.signIn(FALLBACK);
    const response = await kit.logout({ id_token_hint: browser.idToken, post_logout_redirect_uri: FALLBACK.originHome, state: 'x' }, browser.cookie);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${FALLBACK.originHome}?state=x`);
    expect(await kit.alive(browser.agent)).toBe(false);
  });

  it('without a hint shows "Sign out?" and keeps the session until the confirmed POST', async () => {
    const browser = await kit.signIn();
    const stopped = await browser.agent.open(`${kit.server.url}/oauth2/logout?${new URLSearchParams({ client_id: RP.clientId, post_logout_redirect_uri: RP.postLogoutRedirectUri, state: STATE })}`);
    expect(stopped).toBeUndefined();
    expect(browser.agent.page.status).toBe(200);
    expect(browser.agent.page.html).toContain('<h1>Sign out?</h1>');
    expect(browser.agent.page.html).toContain(browser.email);
    expect(await kit.alive(browser.agent)).toBe(true);
    expect(await kit.auditEvents('auth.logout', browser.userId)).toEqual([]);

    await browser.agent.open(`${kit.server.url}/oauth2/logout?${new URLSearchParams({ client_id: RP.clientId, post_logout_redirect_uri: RP.postLogoutRedirectUri, state: STATE })}`);
    const landed = await browser.agent.submit('Sign out');
    expect(landed).toBeDefined();
    expect(`${landed!.origin}${landed!.pathname}`).toBe(RP.postLogoutRedirectUri);
    expect(landed!.searchParams.getAll('state')).toEqual([STATE]);
    expect(browser.agent.cookie('auth_session')).toBeUndefined();
    // The old cookie, replayed, is dead too.
    browser.agent.setCookie('auth_session', browser.cookie);
    expect(await kit.alive(browser.agent)).toBe(false);
    const events = await kit.auditEvents('auth.logout', browser.userId);
    expect(events).toEqual([expect.objectContaining({ details: expect.objectContaining({ method: 'confirmed', client: RP.clientId }) })]);
  });

  it('keeps the session when the user chooses "Stay signed in" and returns to the client with the state (RP-Initiated Logout s2)', async () => {
    const browser = await kit.signIn();
    await browser.agent.open(`${kit.server.url}/oauth2/logout?${new URLSearchParams({ client_id: RP.clientId, post_logout_redirect_uri: RP.postLogoutRedirectUri, state: STATE })}`);
    const landed = await browser.agent.submit('Stay signed in');
    expect(`${landed!.origin}${landed!.pathname}`).toBe(RP.postLogoutRedirectUri);
    expect(landed!.searchParams.getAll('state')).toEqual([STATE]);
    expect(browser.agent.cookie('auth_session')).toBe(browser.cookie);
    expect(await kit.alive(browser.agent)).toBe(true);
    expect(await kit.auditEvents('auth.logout', browser.userId)).toEqual([]);

    // Without a client to return to: a page saying so, and still signed in.
    await browser.agent.open(`${kit.server.url}/oauth2/logout`);
    expect(await browser.agent.submit('Stay signed in')).toBeUndefined();
    expect(browser.agent.page.html).toContain('You are still signed in');
    expect(await kit.alive(browser.agent)).toBe(true);
  });

  it('confirms without any client and then shows "You are signed out"', async () => {
    const browser = await kit.signIn();
    await browser.agent.open(`${kit.server.url}/oauth2/logout`);
    expect(browser.agent.page.html).toContain('Sign out?');
    expect(await browser.agent.submit('Sign out')).toBeUndefined();
    expect(browser.agent.page.status).toBe(200);
    expect(browser.agent.page.html).toContain('You are signed out');
    expect(await kit.alive(browser.agent)).toBe(false);
  });

  it('with no live session just returns to the validated URI (nothing to end)', async () => {
    const browser = await kit.signIn();
    const response = await kit.logout({ id_token_hint: browser.idToken, post_logout_redirect_uri: RP.postLogoutRedirectUri, state: 'a' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${RP.postLogoutRedirectUri}?state=a`);
    expect(await kit.alive(browser.agent)).toBe(true);
  });
});
