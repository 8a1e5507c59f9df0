import { describeFailure } from '../src/main';

describe('describeFailure', () => {
  it('says what a start-up failure was, whatever was thrown', () => {
    expect(describeFailure(new Error('port 3001 is in use'))).toBe('port 3001 is in use');
    expect(describeFailure({ code: 'ELOCKED', path: '.data/users' })).toBe('{"code":"ELOCKED","path":".data/users"}');
    expect(describeFailure('plain')).toBe('plain');
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(describeFailure(circular)).toBe('[object Object]');
    expect(describeFailure(undefined)).toBe('undefined');
  });
});
