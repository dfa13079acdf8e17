import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { GatewayMetrics } from './metrics';

/** The first root field of an operation that passed validation (a schema name, so the label set stays bounded). */
function rootField(operation: OperationDefinitionNode | null | undefined): string {
  const field = operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD && s.name.value !== '__typename');
  return field?.kind === Kind.FIELD ? field.name.value : 'unknown';
}

/** Counts and times GraphQL operations by type, root field and outcome (ok or the first error's code). */
export function graphqlMetrics<T extends object>(metrics: GatewayMetrics): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      let type = 'unknown';
      let field = 'unknown';
      return {
        async didResolveOperation({ operation }) {
          type = operation?.operation ?? 'unknown';
          field = rootField(operation);
        },
        async willSendResponse({ response, errors }) {
          const body = response.body;
          // the formatted (masked) errors carry the contract's codes
          const first = (body.kind === 'single' ? body.singleResult.errors?.[0] : undefined) ?? errors?.[0];
          const code = (first?.extensions as { code?: unknown } | undefined)?.code;
          const outcome = first ? (typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'ERROR') : 'ok';
          metrics.graphqlOperations.inc({ type, field, outcome });
          metrics.graphqlDuration.observe({ type, field }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}
