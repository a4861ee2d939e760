import { authenticationCode, formField } from './security-form';

describe('security form fields', () => {
  it('reads a field sent once as a string, and nothing else', () => {
    expect(formField({ csrf: 'abc' }, 'csrf')).toBe('abc');
    expect(formField({ csrf: ['a', 'b'] }, 'csrf')).toBeUndefined(); // repeated in a form
    expect(formField({ csrf: { toString: 'x' } }, 'csrf')).toBeUndefined(); // a JSON object
    expect(formField(JSON.parse('{"__proto__":{"csrf":"x"}}'), 'csrf')).toBeUndefined(); // CWE-1321
    expect(formField({}, 'toString')).toBeUndefined();
    expect(formField('csrf=abc', 'csrf')).toBeUndefined();
    expect(formField(null, 'csrf')).toBeUndefined();
  });

  it('takes six ASCII digits as an authentication code, with the spaces apps show removed', () => {
    expect(authenticationCode({ code: '123456' })).toBe('123456');
    expect(authenticationCode({ code: ' 123 456 ' })).toBe('123456');
  });

  // CWE-20 / CWE-176: what is not a code never reaches auth-server.
  it.each([
    ['five digits', '12345'],
    ['seven digits', '1234567'],
    ['letters', 'abcdef'],
    ['fullwidth digits', '１２３４５６'],
    ['Arabic-Indic digits', '١٢٣٤٥٦'],
    ['a NUL byte', '123\u0000456'],
    ['a newline', '123\n456'],
    ['a very long value', `123456${' '.repeat(100)}`],
    ['an empty value', ''],
  ])('refuses %s', (_label, code) => {
    expect(authenticationCode({ code })).toBeUndefined();
  });
});
