import { Agent, request } from 'node:http';

export interface Outcome {
  /** HTTP status, or the error code when no response came. */
  readonly result: number | string;
  readonly sentAt: number;
  /** When the answer (or the error) came. */
  readonly doneAt: number;
  /** Whether the request went on a kept-alive connection the server had already accepted. */
  readonly reused: boolean;
}

/** One HTTP request on a keep-alive agent; resolves with its status or its error code. */
export function send(
  agent: Agent,
  url: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ result: res.statusCode ?? 0, sentAt, doneAt: performance.now(), reused: req.reusedSocket }),
        );
        res.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ result: error.code ?? error.message, sentAt, doneAt: performance.now(), reused: req.reusedSocket }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ result: error.code ?? error.message, sentAt, doneAt: performance.now(), reused: req.reusedSocket }),
    );
    req.end(payload);
  });
}

/** `concurrency` clients looping over `next()` until `until()` is true; every outcome is kept. Bounded by `maxMs`. */
export async function loop(
  concurrency: number,
  next: (agent: Agent, n: number) => Promise<Outcome>,
  until: () => boolean,
  maxMs = 20_000,
): Promise<Outcome[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const outcomes: Outcome[] = [];
  const deadline = performance.now() + maxMs;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!until() && performance.now() < deadline) outcomes.push(await next(agent, n++));
    }),
  );
  agent.destroy();
  return outcomes;
}
