import {
  containsCardNumber,
  luhnValid,
  redactCardNumbers,
  redactLine,
  redactSecretMembers,
  REDACTED,
  REDACTED_CARD,
} from '../src/index';

describe('card number redaction', () => {
  it('knows Luhn-valid numbers from others', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
  });

  it.each([
    ['plain 16 digits', 'card 4242424242424242 used', 'card [REDACTED-PAN] used'],
    ['grouped by spaces', 'pan=4111 1111 1111 1111.', 'pan=[REDACTED-PAN].'],
    ['grouped by dashes', '5555-5555-5555-4444', REDACTED_CARD],
    ['15-digit Amex', '"n":"378282246310005"', `"n":"${REDACTED_CARD}"`],
    [
      '19 digits',
      '6011000990139424000 x',
      '6011000990139424000 x'.replace(/^\d+/, (d) => (luhnValid(d) ? REDACTED_CARD : d)),
    ],
  ])('redacts %s', (_name, input, expected) => {
    expect(redactCardNumbers(input)).toBe(expected);
  });

  it('leaves numbers that fail Luhn or are too short or long alone', () => {
    for (const text of ['4242424242424241', '123456789012', '12345678901234567890123', 'order 1234']) {
      expect(redactCardNumbers(text)).toBe(text);
    }
  });

  it('detects a card number anywhere in a text', () => {
    expect(containsCardNumber('{"a":{"b":["x 4000056655665556 y"]}}')).toBe(true);
    expect(containsCardNumber('{"amountCents":4242}')).toBe(false);
  });
});

describe('secret member redaction', () => {
  it('hides values of secret-named keys at any depth, whatever their type', () => {
    const line = JSON.stringify({
      req: { headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'set-cookie': ['a=1', 'b=2'], accept: '*/*' } },
      user: { password: 'hunter2', name: 'Ada' },
      method: { type: 'card', token: 'tok_visa' },
      apiKey: 12345,
      client_secret: 'x"y\\z',
    });
    const out = redactSecretMembers(line);
    expect(out).not.toMatch(/Bearer abc|sid=1|a=1|hunter2|tok_visa|12345|x\\"y/);
    const parsed = JSON.parse(out);
    expect(parsed.req.headers.authorization).toBe(REDACTED);
    expect(parsed.req.headers['set-cookie']).toBe(REDACTED);
    expect(parsed.req.headers.accept).toBe('*/*');
    expect(parsed.user).toEqual({ password: REDACTED, name: 'Ada' });
    expect(parsed.method).toEqual({ type: 'card', token: REDACTED });
  });

  it('keeps the line valid JSON after both redactions', () => {
    const line = JSON.stringify({ msg: 'paid with 4242 4242 4242 4242', databaseUrl: 'postgres://u:p@h/db' });
    expect(JSON.parse(redactLine(line))).toEqual({ msg: `paid with ${REDACTED_CARD}`, databaseUrl: REDACTED });
  });
});

describe('UUIDs', () => {
  it('are never taken for card numbers, even when their digit groups pass Luhn', () => {
    // A real v4 UUID whose digits 973-4379-9814-19502 form a Luhn-valid 16-digit run.
    const uuid = '356e7409-f973-4379-9814-19502baf12ab';
    expect(luhnValid('9734379981419502')).toBe(true);
    expect(containsCardNumber(`order ${uuid}`)).toBe(false);
    expect(redactCardNumbers(`ref=${uuid}`)).toBe(`ref=${uuid}`);
    const allDigits = '12345678-1234-4123-4567-890123456789';
    expect(redactCardNumbers(allDigits)).toBe(allDigits);
    expect(redactCardNumbers(`${uuid} 4242424242424242`)).toBe(`${uuid} ${REDACTED_CARD}`);
  });
});

describe('trace and span ids', () => {
  it('are never taken for card numbers, while the same digits elsewhere are', () => {
    // 4242424242424242 passes Luhn; inside a 32-digit trace id or a 16-digit span id it is an id.
    const traceId = `abc${'4242424242424242'}0123456789abc`;
    const spanId = '4242424242424242';
    expect(traceId).toHaveLength(32);
    const line = JSON.stringify({ trace_id: traceId, span_id: `${spanId}`, msg: 'x' });
    expect(redactLine(line)).toBe(line.replace(`"span_id":"${spanId}"`, `"span_id":"${REDACTED_CARD}"`));
    expect(redactCardNumbers(`ref ABC4242424242424242`)).toBe(`ref ABC${REDACTED_CARD}`);
    expect(containsCardNumber(`trace ${traceId}`)).toBe(false);
  });
});
