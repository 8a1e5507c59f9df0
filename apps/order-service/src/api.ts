import { serviceApi } from '@platform/contracts';
import { ordersApi } from './orders/orders.api';

/** order-service's contract: every operation, served at `GET /openapi.json` and committed in docs/api. */
export const api = serviceApi({
  info: {
    title: 'order-service',
    version: '2.0.0',
    description:
      'People’s orders (`/orders`) for their own user, paid once through payment-service. Every operation needs a bearer token ([docs/security.md](/docs/security.md)); errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details ([docs/errors.md](/docs/errors.md)).',
  },
  operations: ordersApi,
});
