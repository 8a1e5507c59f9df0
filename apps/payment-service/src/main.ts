import { runMain } from '@platform/runtime';
import { start } from './server';

// The process entry point (`node main.cjs`). Required as a module, by the image build that fills
// the compile cache, it only loads.
if (require.main === module) runMain(() => start(process.env));
