import { freePort, startNode, waitForHttp } from '../src/index';

describe('process helpers', () => {
  it('start a node process, wait for it to answer, and stop it with its exit code', async () => {
    const port = await freePort();
    const script = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1', () => console.log('up'));
      process.on('SIGTERM', () => process.exit(3));`;
    const child = startNode(['-e', script]);
    await waitForHttp(`http://127.0.0.1:${port}/`, { process: child });
    expect(child.stdout).toContain('up');
    expect(await child.stop('SIGTERM')).toBe(3);
  });

  it('say why when the process dies before it answers', async () => {
    const child = startNode(['-e', "console.error('Invalid configuration: PORT is required.'); process.exit(78)"]);
    await expect(waitForHttp('http://127.0.0.1:9/', { process: child, timeoutMs: 5_000 })).rejects.toThrow(
      /exited \(78\)[\s\S]*PORT is required/,
    );
  });
});
