import { loadConfig } from '@authkit/config';
import { captureLogs } from '@authkit/testing';
import { createDemo } from '../src/server';

describe('demo home page', () => {
  it('serves a page with a strict Content-Security-Policy and no framing', async () => {
    const app = await createDemo(loadConfig({ AUTH_ISSUER: 'http://localhost:3000', DEMO_CLIENT_SECRET: 'x'.repeat(32) }), captureLogs().stream);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.getHttpServer().address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(response.headers.get('content-security-policy')).not.toMatch(/script-src/);
      const html = await response.text();
      expect(html).toContain('<h1>nest-authkit demo</h1>');
      expect(html).toContain('href="http://localhost:3000"');
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
