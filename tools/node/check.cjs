// Runs first in the README's commands: on a Node.js the project does not run on, one line that
// says which Node it found, which it needs and how to get it, instead of errors deep in a test.
// Plain CommonJS for any Node that npm runs on. On Linux (x64, arm64) `npm ci` installs the
// project's Node itself (the optional `node-linux-*` packages put it in node_modules/.bin, ahead
// of the machine's on every npm script's PATH), so this only speaks up elsewhere.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const pinned = readFileSync(join(__dirname, '../../.nvmrc'), 'utf8').trim().replace(/^v/, '');
const major = (version) => version.split('.')[0];
if (major(process.versions.node) !== major(pinned)) {
  process.stderr.write(
    `This project runs on Node.js ${pinned} (.nvmrc), but found ${process.version}: ` +
      `\`npm ci\` installs it on Linux x64 and arm64; elsewhere run \`nvm install\` (or fnm, volta) in this folder first.\n`,
  );
  process.exit(1);
}
