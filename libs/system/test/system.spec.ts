import { callersOf, localUrl, serviceEntry, serviceNames, system, urlVariable, validateManifest } from '../src/index';

const entry = (name: string, port: number, calls: string[] = []) => ({
  name,
  framework: 'express',
  path: `/${name.replace(/-service$/, '')}`,
  localPort: port,
  calls,
});
const manifest = (...services: ReturnType<typeof entry>[]) => ({ ...system, services });

it('reads the system from deploy/services.json', () => {
  expect(serviceNames).toEqual(['user-service', 'order-service', 'payment-service']);
  expect(callersOf('payment-service')).toEqual(['order-service']);
  expect(callersOf('order-service')).toEqual([]);
  expect(serviceEntry('order-service').calls).toEqual(['user-service', 'payment-service']);
  expect(localUrl('user-service').href).toBe('http://localhost:3001/');
  expect(urlVariable('payment-service')).toBe('PAYMENT_SERVICE_URL');
  expect(() => serviceEntry('nobody-service')).toThrow('deploy/services.json has no service named "nobody-service"');
});

it('refuses a manifest that cannot describe a system, in one line naming the problem', () => {
  const cases: [unknown, string][] = [
    [{ services: [] }, 'must list at least one service'],
    [manifest(entry('Users', 3001)), 'lower-case words joined by dashes'],
    [manifest({ ...entry('a-service', 3001), framework: 'koa' }), 'framework must be one of'],
    [manifest({ ...entry('a-service', 3001), path: '/a/b' }), 'path must be one lower-case segment'],
    [manifest(entry('a-service', 3001), entry('b-service', 3001)), 'local port 3001 belongs to two services'],
    [manifest(entry('a-service', 3001), { ...entry('b-service', 3002), path: '/a' }), 'path /a belongs to two'],
    [manifest(entry('a-service', 3001), entry('a-service', 3002)), 'listed twice'],
    [manifest(entry('a-service', 3001, ['x-service'])), 'calls "x-service", which is not a service'],
    [manifest(entry('a-service', 3001, ['a-service'])), 'calls itself'],
    [
      manifest(entry('a-service', 3001, ['b-service']), entry('b-service', 3002, ['a-service'])),
      'cycle: a-service -> b-service -> a-service',
    ],
  ];
  for (const [candidate, message] of cases) expect(() => validateManifest(candidate)).toThrow(message);
});
