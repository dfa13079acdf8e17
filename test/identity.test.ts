import { canonicalKey, mergeIdentifiers, normaliseEmail, normalisePhone, normaliseSubject } from '../src/services/identity';

describe('identity normalisation', () => {
  it('trims, NFC-normalises and lower-cases emails', () => {
    expect(normaliseEmail('  Anna.Lindqvist@Northwind.EXAMPLE ')).toBe('anna.lindqvist@northwind.example');
    expect(normaliseEmail('JÖNS@x.se'.normalize('NFD'))).toBe('jöns@x.se'.normalize('NFC'));
  });

  it.each(['', 'no-at-sign', 'two@@x.se', 'a b@x.se', 'a@b\u0000', 'a@b\u200b', 'a@b\r\nX-Header: y', `${'a'.repeat(260)}@x.se`])('rejects the email %j', (bad) => {
    expect(() => normaliseEmail(bad)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }));
  });

  it('brings phones to E.164, Swedish by default', () => {
    expect(normalisePhone('070-123 45 01')).toBe('+46701234501');
    expect(normalisePhone('+46 (0)70 123 45 01')).toBe('+46701234501');
    expect(normalisePhone('0046701234501')).toBe('+46701234501');
    expect(() => normalisePhone('12')).toThrow(/phone must be a phone number/);
  });

  it('needs at least one identifier and gives a stable key', () => {
    expect(() => normaliseSubject({})).toThrow(/at least one of/);
    expect(() => normaliseSubject({ email: null, phone: undefined })).toThrow(/at least one of/);
    const a = normaliseSubject({ phone: '0701234501', email: 'A@x.se' });
    const b = normaliseSubject({ email: 'a@x.se ', phone: '+46701234501' });
    expect(canonicalKey(a)).toBe(canonicalKey(b));
    expect(canonicalKey(a)).toBe('email=a@x.se&phone=+46701234501');
  });

  it('merges discovered identifiers once', () => {
    const key = normaliseSubject({ email: 'a@x.se' });
    const added = mergeIdentifiers(key, [
      { kind: 'email', value: 'a@x.se', source: 'app' },
      { kind: 'appUserId', value: '7', source: 'app' },
      { kind: 'appUserId', value: '7', source: 'crm' },
    ]);
    expect(added).toEqual([{ kind: 'appUserId', value: '7', source: 'app' }]);
    expect(key).toEqual({ email: ['a@x.se'], appUserId: ['7'] });
  });
});
