import { DateTimeResolver } from 'graphql-scalars';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { authChecker } from './auth/auth-checker';
import type { ConnectorFactory } from './connectors/connector';
import { AuditResolver } from './resolvers/audit.resolver';
import { OperatorResolver } from './resolvers/operator.resolver';
import { RequestResolver } from './resolvers/request.resolver';
import { RetentionResolver } from './resolvers/retention.resolver';
import { DatasetDataResolver, SubjectResolver } from './resolvers/subject.resolver';
import { SystemResolver } from './resolvers/system.resolver';

export const CORE_RESOLVERS = [OperatorResolver, SystemResolver, SubjectResolver, DatasetDataResolver, AuditResolver, RequestResolver, RetentionResolver];

/** The schema: the core resolvers plus the typed views of the given connector kinds. */
export function buildGatewaySchema(factories: readonly ConnectorFactory[]): Promise<GraphQLSchema> {
  const resolvers = [...CORE_RESOLVERS, ...factories.flatMap((f) => f.resolvers ?? [])] as NonEmptyArray<Function>;
  return buildSchema({
    resolvers,
    authChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
  });
}

/** The SDL as committed in schema/schema.graphql (sorted, so it only changes when the API does). */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
