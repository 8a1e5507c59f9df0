import { runMain } from '@platform/runtime';
import { start } from './server';

runMain(() => start(process.env));
