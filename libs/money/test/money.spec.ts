import { validator } from '@platform/validation';
import { Type } from 'typebox';
import { CURRENCIES, CurrencySchema, isCurrency, MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES } from '../src/index';

describe('currencies', () => {
  it('are ISO 4217 codes with a minor-unit exponent', () => {
    for (const code of SUPPORTED_CURRENCIES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3]).toContain(CURRENCIES[code]);
    }
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('eur')).toBe(false);
    expect(isCurrency('XXX')).toBe(false);
    expect(isCurrency('__proto__')).toBe(false);
  });

  it('validate as one enum with one clear error', () => {
    const validate = validator(Type.Object({ currency: CurrencySchema }));
    expect(validate({ currency: 'USD' })).toEqual({ currency: 'USD' });
    expect(() => validate({ currency: 'usd' })).toThrow(
      expect.objectContaining({
        errors: [{ in: 'body', field: 'currency', message: `must be one of ${expectedList()}` }],
      }),
    );
  });

  it('name the allowed values in that error: the first twelve and how many in all', () => {
    expect(SUPPORTED_CURRENCIES.length).toBeGreaterThan(12);
    expect(expectedList()).toMatch(/^([A-Z]{3}, ){12}… \(\d+ in all\)$/);
  });

  it('keep every amount a safe integer', () => {
    expect(Number.isSafeInteger(MAX_AMOUNT_MINOR)).toBe(true);
    expect(MAX_AMOUNT_MINOR).toBeGreaterThanOrEqual(100 * 1000 * 100_000_000);
  });
});

const expectedList = () => `${SUPPORTED_CURRENCIES.slice(0, 12).join(', ')}, … (${SUPPORTED_CURRENCIES.length} in all)`;
