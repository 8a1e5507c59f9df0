import { Global, Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { TokenFile } from '@platform/auth';
import { HttpClient } from '@platform/http-client';
import type { ServiceRuntime } from '@platform/runtime';
import { SERVICE_RUNTIME } from '@platform/runtime/nest';
import { ORDER_SERVICE_CONFIG, type OrderServiceSettings } from '../settings';
import { PaymentServiceClient } from './payment-service-client';
import { UserServiceClient } from './user-service-client';

/** The HTTP clients of the services order-service calls (one way only: order → user, payment). */
const HTTP_CLIENTS = Symbol('HTTP_CLIENTS');

interface HttpClients {
  readonly users: HttpClient;
  readonly payments: HttpClient;
}

function httpClients(runtime: ServiceRuntime, settings: OrderServiceSettings): HttpClients {
  const onRetry = (details: { peer: string; route: string; attempt: number; reason: string }) =>
    runtime.logger.warn(details, 'retrying a call to a dependency');
  const client = (peer: string, baseUrl: URL, timeoutMs: number) =>
    new HttpClient({ peer, baseUrl, timeoutMs, registry: runtime.metrics, onRetry });
  return {
    users: client('user-service', settings.userServiceUrl, settings.userServiceTimeoutMs),
    payments: client('payment-service', settings.paymentServiceUrl, settings.paymentServiceTimeoutMs),
  };
}

/** Closes the clients' keep-alive connections when Nest shuts down. */
class ClientsLifecycle implements OnModuleDestroy {
  constructor(@Inject(HTTP_CLIENTS) private readonly clients: HttpClients) {}

  onModuleDestroy(): void {
    this.clients.users.close();
    this.clients.payments.close();
  }
}

/**
 * `UserServiceClient` and `PaymentServiceClient`, the ports of the orders domain over HTTP, each
 * with order-service's own token for that service (a projected service-account token file).
 */
@Global()
@Module({
  providers: [
    { provide: HTTP_CLIENTS, useFactory: httpClients, inject: [SERVICE_RUNTIME, ORDER_SERVICE_CONFIG] },
    ClientsLifecycle,
    {
      provide: UserServiceClient,
      useFactory: (c: HttpClients, settings: OrderServiceSettings) =>
        new UserServiceClient(c.users, new TokenFile(settings.userServiceTokenFile)),
      inject: [HTTP_CLIENTS, ORDER_SERVICE_CONFIG],
    },
    {
      provide: PaymentServiceClient,
      useFactory: (c: HttpClients, settings: OrderServiceSettings) =>
        new PaymentServiceClient(c.payments, new TokenFile(settings.paymentServiceTokenFile)),
      inject: [HTTP_CLIENTS, ORDER_SERVICE_CONFIG],
    },
  ],
  exports: [UserServiceClient, PaymentServiceClient],
})
export class ClientsModule {}
