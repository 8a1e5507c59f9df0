import { runMain } from '@platform/runtime';
import { start } from './server';

// The process entry point (`node main.cjs`, or `nx serve`). The image build loads it with
// SERVICE_PRELOAD_ONLY=1 to fill the compile cache: then it only loads.
runMain(() => start(process.env));
