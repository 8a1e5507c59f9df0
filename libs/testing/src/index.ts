export { bundleForNode, testBundlePath, WORKSPACE_ROOT } from './bundle';
export { OtlpReceiver, type OtlpReceiverOptions, type ReceivedExport, type ReceivedSpan } from './otlp-receiver';
export {
  BUILT_SERVICE_ENV,
  JITLESS,
  builtServiceArgs,
  freePort,
  SERVICE_READY_TIMEOUT_MS,
  startNode,
  STARTUP_HOOK_TIMEOUT_MS,
  waitForHttp,
  type RunningProcess,
  type StartOptions,
  type WaitOptions,
} from './process';
export { scratchWorkspace, type ScratchWorkspace } from './workspace';
export { listenOnLoopback, TEST_SERVER_KEEP_ALIVE_MS } from './server';
export { toolFromScript, toolPresent, underCi } from './tools';
export { problemOf, TestClock } from './domain';
