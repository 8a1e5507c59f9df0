import { readFile } from 'node:fs/promises';

/**
 * This workload's own token for calls to another service, from the file the kubelet keeps fresh
 * (a projected service-account token, rotated before it expires); read again when the copy in
 * memory is older than `maxAgeMs`, so a rotation is picked up without a restart.
 */
export class TokenFile {
  #token?: string;
  #readAt = -Infinity;
  #reading?: Promise<string>;

  constructor(
    readonly path: string,
    private readonly options: { readonly maxAgeMs?: number; readonly now?: () => number } = {},
  ) {}

  /** The token; throws when the file cannot be read or is empty and no earlier copy is at hand. */
  async token(): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    if (this.#token !== undefined && now - this.#readAt < (this.options.maxAgeMs ?? 30_000)) return this.#token;
    this.#reading ??= readFile(this.path, 'utf8')
      .then((content) => {
        const token = content.trim();
        if (token === '') throw new Error(`${this.path} is empty`);
        this.#token = token;
        this.#readAt = now;
        return token;
      })
      .catch((error: unknown) => {
        // The copy in memory may well be valid still: better than failing the call.
        if (this.#token !== undefined) return this.#token;
        throw error;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }

  /** `{ authorization: 'Bearer …' }` for a call. */
  async header(): Promise<{ authorization: string }> {
    return { authorization: `Bearer ${await this.token()}` };
  }
}
