/** A clock a domain test moves by hand: `now` for the code under test, `advance` for the test. */
export class TestClock {
  #at: Date;

  constructor(start = '2026-06-01T12:00:00.000Z') {
    this.#at = new Date(start);
  }

  readonly now = (): Date => this.#at;

  advance(ms: number): void {
    this.#at = new Date(this.#at.getTime() + ms);
  }
}

/**
 * The catalogue entry a domain call was refused with: its problem's `definition` (fails the test
 * if the call succeeded or threw anything but a problem of the catalogue).
 */
export async function problemOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (typeof error !== 'object' || error === null || !('definition' in error))
    throw new Error(`expected a problem, got ${String(error)}`);
  return error.definition;
}
