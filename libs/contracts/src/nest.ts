import type { IncomingMessage } from 'node:http';
import {
  applyDecorators,
  Controller,
  createParamDecorator,
  type DynamicModule,
  type ExecutionContext,
  Get,
  Header,
  HttpCode,
  Inject,
  Module,
  RequestMapping,
  RequestMethod,
  SetMetadata,
} from '@nestjs/common';
import { principalOf } from '@platform/auth';
import { Access } from '@platform/auth/nest';
import { colonPath, type HttpMethod, type Input as OperationInput, type OperationSpec } from './operation';
import type { OpenApiDocument } from './openapi';
import { type RawRequest, requestValidator } from './validate';

const OPERATION = Symbol('@platform/contracts:operation');
const VALIDATED = Symbol('@platform/contracts:input');

const METHODS: Record<HttpMethod, RequestMethod> = {
  get: RequestMethod.GET,
  post: RequestMethod.POST,
  put: RequestMethod.PUT,
  patch: RequestMethod.PATCH,
  delete: RequestMethod.DELETE,
};

const validators = new WeakMap<OperationSpec, (raw: RawRequest) => unknown>();

/**
 * `@Route(getOrder)`: maps a controller method to an operation of the API contract, its method,
 * path (in a controller without a prefix), access (the `AccessGuard`, bound to this route) and
 * success status, so the route, who may call it, its validation and its OpenAPI description come
 * from one declaration.
 */
export const Route = (op: OperationSpec) =>
  applyDecorators(
    RequestMapping({ path: colonPath(op.path), method: METHODS[op.method] }),
    Access(op.security),
    HttpCode(op.successStatus),
    SetMetadata(OPERATION, op),
  );

type RequestWithInput = IncomingMessage & RawRequest & { [VALIDATED]?: unknown };

/** The request's parts validated by its operation's schemas (once per request), as `Input` gives them. */
export function validatedInput(context: ExecutionContext): unknown {
  const request = context.switchToHttp().getRequest<RequestWithInput>();
  if (VALIDATED in request) return request[VALIDATED];
  const op = Reflect.getMetadata(OPERATION, context.getHandler()) as OperationSpec | undefined;
  if (op === undefined) throw new Error('@Input() needs @Route(operation) on the same method');
  let validate = validators.get(op);
  if (validate === undefined) {
    validate = requestValidator(op);
    validators.set(op, validate);
  }
  request[VALIDATED] = validate({
    params: request.params,
    query: request.query,
    headers: request.headers,
    body: request.body,
    caller: principalOf(request),
  });
  return request[VALIDATED];
}

/**
 * `@Input() { params, body }: Input<typeof payOrder>`: the validated, typed parts of the request;
 * a bad part is the 400 validation problem.
 */
export const Input = createParamDecorator((_data: unknown, context: ExecutionContext) => validatedInput(context));
export type Input<Op extends OperationSpec> = OperationInput<Op>;

const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');

@Controller()
class OpenApiController {
  readonly #body: string;

  constructor(@Inject(OPENAPI_DOCUMENT) document: OpenApiDocument) {
    this.#body = JSON.stringify(document);
  }

  @Get('openapi.json')
  @Header('content-type', 'application/json')
  @Header('cache-control', 'no-cache')
  document(): string {
    return this.#body;
  }
}

/** `OpenApiModule.forRoot(document)`: `GET /openapi.json`, the API's contract. */
@Module({})
export class OpenApiModule {
  static forRoot(document: OpenApiDocument): DynamicModule {
    return {
      module: OpenApiModule,
      controllers: [OpenApiController],
      providers: [{ provide: OPENAPI_DOCUMENT, useValue: document }],
    };
  }
}
