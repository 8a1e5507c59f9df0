import { serviceApi } from '@platform/contracts';
import { paymentsApi } from './payments/payments.api';

/** payment-service's contract: every operation, served at `GET /openapi.json` and committed in docs/api. */
export const api = serviceApi({
  info: {
    title: 'payment-service',
    version: '2.0.0',
    description:
      'Idempotent card payments and refunds (`/payments`) behind a provider interface: an internal ledger, called by order-service’s workload identity and administrators ([docs/security.md](/docs/security.md)). Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details ([docs/errors.md](/docs/errors.md)).',
  },
  operations: paymentsApi,
});
