import { toString as qrCodeToString } from 'qrcode';

const ACCESSIBLE_NAME = 'QR code for your authenticator app';

/**
 * The QR code of an `otpauth://` URI as an inline SVG string: error correction level M
 * (15% of the symbol recoverable, enough for a phone camera pointed at a screen), a
 * 2-module quiet zone, and `role="img"` with an `aria-label` so screen readers announce
 * it. The markup holds only paths, no scripts; pair it with the secret in text for users
 * who cannot scan.
 * @throws TypeError when `otpauthUri` is not an `otpauth://` URI.
 * @throws Error from `qrcode` when the URI is too long for a QR code.
 */
export async function totpQrCodeSvg(otpauthUri: string): Promise<string> {
  if (typeof otpauthUri !== 'string' || !otpauthUri.startsWith('otpauth://')) {
    throw new TypeError('totpQrCodeSvg expects an otpauth:// URI (see TotpService.keyUri)');
  }
  const svg = await qrCodeToString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  if (!svg.startsWith('<svg ')) throw new Error('qrcode returned something other than an <svg> element');
  return `<svg role="img" aria-label="${ACCESSIBLE_NAME}" ${svg.slice('<svg '.length)}`;
}
