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
  Injectable,
  Module,
  type PipeTransform,
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

/** The parts of a request its operation validates, with that operation (from `@Route`). */
export interface OperationRequest {
  readonly op: OperationSpec;
  readonly raw: RawRequest;
}

const operationRequest = createParamDecorator((_data: unknown, context: ExecutionContext): OperationRequest => {
  const op = Reflect.getMetadata(OPERATION, context.getHandler()) as OperationSpec | undefined;
  if (op === undefined) throw new Error('@Input() needs @Route(operation) on the same method');
  const request = context.switchToHttp().getRequest<IncomingMessage & Omit<RawRequest, 'caller'>>();
  const { params, query, headers, body } = request;
  return { op, raw: { params, query, headers, body, caller: principalOf(request) } };
});

/**
 * Validates a request's parts by its operation's schemas (compiled once per operation): the
 * typed input, or the 400 validation problem.
 */
@Injectable()
export class OperationInputPipe implements PipeTransform<OperationRequest, unknown> {
  transform({ op, raw }: OperationRequest): unknown {
    let validate = validators.get(op);
    if (validate === undefined) {
      validate = requestValidator(op);
      validators.set(op, validate);
    }
    return validate(raw);
  }
}

/**
 * `@Input() { params, body, headers }: Input<typeof payOrder>`: the request's parts, validated
 * and typed by the `OperationInputPipe`.
 */
export const Input = () => operationRequest(new OperationInputPipe());
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
