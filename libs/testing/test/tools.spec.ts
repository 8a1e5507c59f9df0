import { toolFromScript, toolPresent } from '../src/index';

// A suite's outside tool: skipped with a line on a developer's machine, a failure by name under CI.
describe('toolPresent', () => {
  const ci = process.env['CI'];
  afterEach(() => {
    if (ci === undefined) delete process.env['CI'];
    else process.env['CI'] = ci;
  });

  it('fails under CI, naming the tool, why it is needed and how .ci/run installs it', () => {
    process.env['CI'] = 'true';
    expect(() => toolPresent('promtool', false, 'the alert tests need it', '.ci/run fetches it first')).toThrow(
      'promtool is missing under CI (the alert tests need it): .ci/run fetches it first',
    );
    expect(toolPresent('promtool', true, 'the alert tests need it', '.ci/run fetches it first')).toBe(true);
  });

  it('skips, saying so, outside CI', () => {
    for (const value of [undefined, 'false']) {
      if (value === undefined) delete process.env['CI'];
      else process.env['CI'] = value;
      const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      expect(toolPresent('Chromium', false, 'the API reference is tried in a browser', 'x')).toBe(false);
      expect(write).toHaveBeenCalledWith(
        'Chromium is missing, so these tests are skipped: the API reference is tried in a browser\n',
      );
      write.mockRestore();
    }
  });
});

describe('toolFromScript', () => {
  it("returns a tool script's path, or its one-line reason when it cannot have it", () => {
    // .ci/run fetches promtool before the tests; elsewhere its script fetches it into a cache.
    const promtool = toolFromScript('tools/prometheus/promtool.sh', ['bin']);
    expect(promtool).toEqual({ path: expect.stringMatching(/\/(usr\/)?bin$/), why: '' });
    const missing = toolFromScript('tools/postgres/throwaway.sh', ['no-such-command']);
    expect(missing.path).toBeUndefined();
    expect(missing.why).toMatch(/usage: throwaway\.sh/);
  });
});
