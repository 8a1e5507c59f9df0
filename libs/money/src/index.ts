import { Type } from 'typebox';

/**
 * The ISO 4217 currencies this system takes, with their minor-unit exponent. Amounts are always
 * integers in minor units (cents, pence, yen), never floats.
 */
export const CURRENCIES = Object.freeze({
  AUD: 2,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  INR: 2,
  JPY: 0,
  KRW: 0,
  MXN: 2,
  NOK: 2,
  NZD: 2,
  PLN: 2,
  SEK: 2,
  SGD: 2,
  USD: 2,
  ZAR: 2,
} as const);

export type Currency = keyof typeof CURRENCIES;

export const SUPPORTED_CURRENCIES = Object.freeze(Object.keys(CURRENCIES) as Currency[]);

/** A supported currency code, as a JSON Schema (one `enum`, so a bad value gives one clear error). */
export const CurrencySchema = Type.Unsafe<Currency>({
  type: 'string',
  enum: [...SUPPORTED_CURRENCIES],
  description: 'ISO 4217 code',
});

/** The largest amount in minor units any payment or order may carry (10^13: far beyond any cart, far below 2^53). */
export const MAX_AMOUNT_MINOR = 10_000_000_000_000;

export const isCurrency = (value: string): value is Currency => Object.hasOwn(CURRENCIES, value);

/**
 * How a card is paid with: a token from the payment provider's client-side tokenization, never a
 * card number. order-service takes it from people and hands it on to payment-service unchanged.
 */
export const CardPaymentMethod = Type.Object(
  {
    type: Type.Literal('card'),
    token: Type.String({ minLength: 5, maxLength: 128, pattern: '^tok_[A-Za-z0-9_]+$' }),
  },
  { additionalProperties: false },
);
