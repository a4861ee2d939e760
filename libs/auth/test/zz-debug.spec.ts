import { KeySource } from '../src/lib/keys/key-source';
import { AccessTokenVerifier } from '../src/lib/jwt/access-token.verifier';
import { startStub } from './http-stub';
import { testKey, mint, ISSUER, AUDIENCE } from './token-factory';
it('debug', async () => {
  const k = testKey('RS256');
  const e = testKey('ES256');
  const stub = await startStub(() => ({ json: { keys: [k.jwk, { ...e.jwk, alg: 'RS256' }] } }));
  const ks = new KeySource({ issuer: 'https://x', jwksUri: stub.url + '/jwks.json', algorithms: ['RS256','ES256','EdDSA','PS256'], fetch });
  console.log(await ks.get(k.kid).catch((x) => x));
  const v = new AccessTokenVerifier(ks, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], clockToleranceSeconds: 30, cacheSize: 10, now: () => Math.floor(Date.now()/1000) });
  console.log(await v.verify(mint(k)));
  await stub.close();
});
