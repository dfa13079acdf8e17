export { GatewayMetrics } from './metrics';
export { connectorObserver, instrumentConnector } from './connectors';
export { graphqlMetrics } from './graphql';
export { httpMetrics } from './http';
