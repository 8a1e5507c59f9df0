// What the delivery tools use and the services never do: the API differ behind `nx run
// delivery:api-diff`. A sub-path of its own, so it stays out of the services' production entry
// (`@platform/contracts`), as the fuzzer does (`@platform/contracts/testing`).
export { diffApis, formatApiChanges, type ApiChange } from './diff';
