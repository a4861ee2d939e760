import { totpQrCodeSvg } from './totp-qr-code';
import { TotpService } from './totp.service';

describe('totpQrCodeSvg', () => {
  const uri = new TotpService({ issuer: 'AuthKit' }).keyUri('alice@example.com', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');

  it('gives an inline <svg> with an accessible name and no script', async () => {
    const svg = await totpQrCodeSvg(uri);
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-label="QR code for your authenticator app"');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.toLowerCase()).not.toContain('<script');
    expect(svg).not.toMatch(/\son\w+=/i);
  });

  it('puts the attributes on the root element only once', async () => {
    const svg = await totpQrCodeSvg(uri);
    expect(svg.match(/role="img"/g)).toHaveLength(1);
    expect(svg.indexOf('aria-label')).toBeLessThan(svg.indexOf('>'));
  });

  it('draws a different code for a different URI', async () => {
    const other = new TotpService({ issuer: 'AuthKit' }).keyUri('bob@example.com', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(await totpQrCodeSvg(other)).not.toBe(await totpQrCodeSvg(uri));
  });

  it('refuses something that is not an otpauth URI', async () => {
    await expect(totpQrCodeSvg('https://example.com')).rejects.toThrow(TypeError);
  });
});
