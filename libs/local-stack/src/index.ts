export { startEdge, type Edge, type EdgeOptions, type LocalRoute } from './edge';
export { localIssuer, localIssuerUrl, WorkloadTokens } from './identity';
export { loadRoutes, matchRoute, workspaceFile, type FixedResponse, type Route, type RouteTable } from './routes';
export { assertPortsFree, SERVICES, startStack, type RunningStack, type ServiceName, type StackOptions } from './stack';
export { watchBuilds } from './watch';
