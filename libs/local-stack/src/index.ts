export { startEdge, type Edge, type EdgeOptions } from './edge';
export {
  loadRoutes,
  matchRoute,
  ROUTES_FILE,
  workspaceFile,
  type FixedResponse,
  type Route,
  type RouteTable,
} from './routes';
export { SERVICES, startStack, type RunningStack, type ServiceName, type StackOptions } from './stack';
