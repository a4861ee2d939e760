import { randomBytes } from 'node:crypto';
import { decodeCompactJws, hasDuplicateMembers } from './compact-jws';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const HEADER = { alg: 'RS256', typ: 'at+jwt', kid: 'k1' };
const PAYLOAD = { sub: 'alice', scope: 'openid' };
const SIGNATURE = randomBytes(64);
const token = (header: unknown = HEADER, payload: unknown = PAYLOAD, signature = SIGNATURE.toString('base64url')) => `${b64(header)}.${b64(payload)}.${signature}`;

describe('decodeCompactJws (RFC 7515 s7.1)', () => {
  it('splits and decodes a compact JWS', () => {
    const decoded = decodeCompactJws(token());
    expect(decoded).not.toBeNull();
    expect(decoded?.header).toEqual(HEADER);
    expect(decoded?.payload).toEqual(PAYLOAD);
    expect(decoded?.signingInput).toBe(`${b64(HEADER)}.${b64(PAYLOAD)}`);
    expect(decoded?.signature.equals(SIGNATURE)).toBe(true);
  });

  it('accepts a token of exactly 16,384 characters and refuses one more', () => {
    const prefix = `${b64(HEADER)}.${b64(PAYLOAD)}.`;
    const sized = (length: number) => prefix + 'A'.repeat(length - prefix.length);
    expect(decodeCompactJws(sized(16_384))).not.toBeNull();
    expect(decodeCompactJws(sized(16_385))).toBeNull();
  });

  it.each<[string, unknown]>([
    ['a non-string', 42],
    ['an empty string', ''],
    ['two segments', `${b64(HEADER)}.${b64(PAYLOAD)}`],
    ['four segments', `${token()}.AAAA`],
    ['five segments (JWE, RFC 7516 s9)', `${token()}.AAAA.AAAA`],
    ['an empty header', `.${b64(PAYLOAD)}.AAAA`],
    ['an empty payload', `${b64(HEADER)}..AAAA`],
    ['an empty signature', `${b64(HEADER)}.${b64(PAYLOAD)}.`],
    ['standard base64 characters', token(HEADER, PAYLOAD, 'ab+/')],
    ['base64 padding', token(HEADER, PAYLOAD, 'AAA=')],
    ['whitespace', token(HEADER, PAYLOAD, 'AA AA')],
    ['a header that is not JSON', token('alg RS256')],
    ['a payload that is not JSON', token(HEADER, '{sub: alice}')],
    ['a truncated JSON payload', token(HEADER, '{"sub":"alice"')],
    ['a JSON array payload', token(HEADER, [PAYLOAD])],
    ['a JSON null payload', token(HEADER, 'null')],
    ['a JSON string payload', token(HEADER, '"alice"')],
    ['a JSON number payload', token(HEADER, '42')],
    ['a JSON array header', token([HEADER])],
    ['a duplicate header member', token('{"alg":"none","alg":"RS256","typ":"at+jwt","kid":"k1"}')],
    ['a duplicate payload member', token(HEADER, '{"sub":"alice","sub":"admin"}')],
    ['a payload duplicate hidden by an escape', token(HEADER, '{"sub":"alice","\\u0073ub":"admin"}')],
  ])('returns null for %s', (_label, input) => {
    expect(decodeCompactJws(input as string)).toBeNull();
  });

  it('never throws on arbitrary input', () => {
    const inputs = [
      ...Array.from({ length: 200 }, () => randomBytes(1 + Math.floor(Math.random() * 64)).toString('latin1')),
      ...Array.from({ length: 200 }, () => `${randomBytes(12).toString('base64url')}.${randomBytes(24).toString('base64url')}.${randomBytes(8).toString('base64url')}`),
      '...',
      '\u0000.\u0000.\u0000',
      `${b64('\uFFFD')}.${b64('{}')}.AA`,
    ];
    for (const input of inputs) expect(() => decodeCompactJws(input)).not.toThrow();
  });
});

describe('hasDuplicateMembers (RFC 7515 s4, RFC 7519 s4, RFC 8259 s4)', () => {
  it.each([
    ['{}'],
    ['{"a":1,"b":2}'],
    ['{"a":1,"A":2}'],
    ['{"a":{"a":1}}'],
    ['{"x":{"a":1},"y":{"a":1}}'],
    ['[{"a":1},{"a":2}]'],
    ['{"a":[{"a":1},{"a":2}],"b":[1,2]}'],
    ['{"a":{},"b":[],"c":{"d":[{}]}}'],
    ['{"a":"a","b":"a"}'],
    ['{"a":"{\\"a\\":1,\\"a\\":2}","b":"}{,\\"b\\":"}'],
    ['{"a\\"":1,"a":2}'],
    ['{"a\\\\":1,"a":2}'],
    ['{"s":"\\\\","t":"\\\\\\""}'],
    ['"{\\"a\\":1,\\"a\\":2}"'],
    ['[["a","a"],{"a":["a"]}]'],
  ])('finds no duplicate in %s', (json) => {
    expect(() => JSON.parse(json)).not.toThrow();
    expect(hasDuplicateMembers(json)).toBe(false);
  });

  it.each([
    ['{"a":1,"a":2}'],
    ['{ "a" : 1 ,\n "a" : 2 }'],
    ['{"a":1,"\\u0061":2}'],
    ['{"\\u0061":1,"a":2}'],
    ['{"a/":1,"a\\/":2}'],
    ['{"\\ud83d\\ude00":1,"\uD83D\uDE00":2}'],
    ['{"__proto__":1,"__proto__":2}'],
    ['{"x":{"a":1,"a":2}}'],
    ['[{"a":1,"a":2}]'],
    ['[{"a":1},{"b":1,"b":2}]'],
    ['{"a":{"b":1},"a":2}'],
    ['{"a":[1,{"a":1}],"a":2}'],
    ['{"a":{},"a":{}}'],
    ['{"{":1,"{":2}'],
    ['{"a\\"b":1,"a\\"b":2}'],
    ['{"v":"}","v":"{"}'],
  ])('finds the duplicate in %s', (json) => {
    expect(() => JSON.parse(json)).not.toThrow();
    expect(hasDuplicateMembers(json)).toBe(true);
  });
});
