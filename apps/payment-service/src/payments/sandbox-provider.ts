import { randomUUID } from 'node:crypto';
import {
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  ProviderError,
  type RefundRequest,
} from './provider';

/** The sandbox's test tokens and what each does (documented in the service's README section). */
export const SANDBOX_TOKENS = Object.freeze({
  tok_visa: { outcome: 'succeeded', brand: 'visa', last4: '4242' },
  tok_mastercard: { outcome: 'succeeded', brand: 'mastercard', last4: '4444' },
  tok_amex: { outcome: 'succeeded', brand: 'amex', last4: '0005' },
  tok_chargeDeclined: { outcome: 'declined', code: 'card_declined', brand: 'visa', last4: '0002' },
  tok_insufficientFunds: { outcome: 'declined', code: 'insufficient_funds', brand: 'visa', last4: '9995' },
  tok_processingError: { outcome: 'error', brand: 'visa', last4: '0119' },
  tok_timeout: { outcome: 'slow', brand: 'visa', last4: '0341' },
} as const);

/** How long `tok_timeout` takes: longer than any sensible provider timeout. */
export const SANDBOX_SLOW_MS = 30_000;

const abortable = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Map insertion order is age order: drop the oldest entry once the map is full. */
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.set(key, value);
  if (map.size > SandboxProvider.REMEMBERED_KEYS) map.delete(map.keys().next().value as string);
}

/**
 * A provider with fixed outcomes per token and no network, so the service runs and is tested
 * offline. Like a real provider it is idempotent per key (in memory), so a retried charge
 * returns the first result instead of charging again. An unknown token is declined
 * (`invalid_token`).
 */
export class SandboxProvider implements PaymentProvider {
  /** Keys remembered for replays; the oldest are forgotten first, so memory stays bounded. */
  static readonly REMEMBERED_KEYS = 1_000;
  readonly name = 'sandbox';
  readonly #charges = new Map<string, ChargeResult>();
  readonly #refunds = new Map<string, { refundId: string }>();
  /** Charges made (not replays): what a real provider would bill. */
  chargeCount = 0;

  async charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeResult> {
    const previous = this.#charges.get(request.idempotencyKey);
    if (previous !== undefined) return previous;
    const token = SANDBOX_TOKENS[request.token as keyof typeof SANDBOX_TOKENS];
    let result: ChargeResult;
    switch (token?.outcome) {
      case undefined:
        result = { outcome: 'declined', code: 'invalid_token', brand: 'unknown', last4: '0000' };
        break;
      case 'error':
        throw new ProviderError('sandbox: processing error');
      case 'slow':
        await abortable(SANDBOX_SLOW_MS, signal);
        throw new ProviderError('sandbox: slow token answered late');
      case 'declined':
        result = { outcome: 'declined', code: token.code, brand: token.brand, last4: token.last4 };
        break;
      case 'succeeded':
        this.chargeCount++;
        result = {
          outcome: 'succeeded',
          chargeId: `ch_${randomUUID().replace(/-/g, '')}`,
          brand: token.brand,
          last4: token.last4,
        };
        break;
    }
    remember(this.#charges, request.idempotencyKey, result);
    return result;
  }

  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    const previous = this.#refunds.get(request.idempotencyKey);
    if (previous !== undefined) return previous;
    const refund = { refundId: `re_${randomUUID().replace(/-/g, '')}` };
    remember(this.#refunds, request.idempotencyKey, refund);
    return refund;
  }
}
