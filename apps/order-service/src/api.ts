import { serviceApi } from '@platform/contracts';
import { ordersApi } from './orders/orders.api';

/** order-service's contract: every operation, served at `GET /openapi.json` and committed in docs/api. */
export const api = serviceApi({
  info: {
    title: 'order-service',
    version: '1.0.0',
    description:
      'Orders (`/orders`) that check their user with user-service and are paid, once, through payment-service. Errors are RFC 9457 problem details (docs/errors.md).',
  },
  operations: ordersApi,
});
