// `npm run --silent token -- --sub <subject> [--scope "<scopes>"] [--aud <audience>]`: one access
// token, signed by the local stack's issuer (its keys under .data/auth), on stdout and nothing else.
import { parseArgs } from 'node:util';
import { PERSON_SCOPES, PLATFORM_AUDIENCE } from '@platform/auth';
import { localIssuer } from '@platform/local-stack';

const USAGE =
  'usage: npm run --silent token -- --sub <subject> [--scope "<scopes>"] [--aud <audience>] [--expires-in <seconds>]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(64);
}

async function main(): Promise<void> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string' },
        scope: { type: 'string' },
        aud: { type: 'string' },
        'expires-in': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`token: ${(error as Error).message}`);
  }
  const subject = values['sub']?.trim();
  if (subject === undefined || subject === '') fail('token: --sub is required');
  const expiresIn = values['expires-in'] === undefined ? 3600 : Number(values['expires-in']);
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 86_400) {
    fail('token: --expires-in must be a whole number of seconds from 1 to 86400');
  }
  const audience = values['aud'] ?? PLATFORM_AUDIENCE;
  const extra = (values['scope'] ?? '').split(/\s+/).filter(Boolean);
  // A person's token carries the default scopes; a workload's stand-in only what is asked for.
  const scopes = [...new Set([...(audience === PLATFORM_AUDIENCE ? PERSON_SCOPES : []), ...extra])];
  const edgePort = Number(process.env['EDGE_PORT'] ?? 8080);
  const issuer = await localIssuer(edgePort);
  const token = await issuer.sign({
    sub: subject,
    aud: audience,
    expiresInSeconds: expiresIn,
    ...(scopes.length === 0 ? {} : { scope: scopes.join(' ') }),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => fail(`token: ${(error as Error).message}`));
