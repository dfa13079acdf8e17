import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { DsrError, ErrorCode, safeInputMessage } from './errors';

export interface GraphqlLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
}

const tooMuch = (message: string) => new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT } });

/** The standard introspection query (tools, IDEs) is 15 deep; outside production it must run. */
const INTROSPECTION_DEPTH = 15;
const isIntrospection = (name: string) => name === '__schema' || name === '__type';

/**
 * Fields nested deeper than `max` (fragments followed, each measured once). Introspection, where
 * it is allowed at all, may go as deep as the standard introspection query.
 */
export function depthLimit(max: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const memo = new Map<string, number>();
    /** The depth of a selection set; with `skipIntrospection`, introspection fields count 0. */
    const depthOf = (set: SelectionSetNode, seen: Set<string>, skipIntrospection: boolean): number => {
      let deepest = 0;
      for (const s of set.selections) {
        let d = 0;
        if (s.kind === Kind.FIELD) {
          if (skipIntrospection && isIntrospection(s.name.value)) continue;
          d = 1 + (s.selectionSet ? depthOf(s.selectionSet, seen, skipIntrospection) : 0);
        } else if (s.kind === Kind.INLINE_FRAGMENT) d = depthOf(s.selectionSet, seen, skipIntrospection);
        else {
          const name = s.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue; // unknown or cyclic: other rules report it
          const key = `${skipIntrospection}:${name}`;
          if (!memo.has(key)) memo.set(key, depthOf(fragment.selectionSet, new Set([...seen, name]), skipIntrospection));
          d = memo.get(key)!;
        }
        deepest = Math.max(deepest, d);
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set(), true);
        const withIntrospection = depthOf(node.selectionSet, new Set(), false);
        if (depth > max) context.reportError(tooMuch(`The operation is nested ${depth} levels deep; at most ${max} are allowed`));
        else if (withIntrospection > Math.max(max, INTROSPECTION_DEPTH)) {
          context.reportError(tooMuch(`The operation is nested ${withIntrospection} levels deep; at most ${Math.max(max, INTROSPECTION_DEPTH)} are allowed for introspection`));
        }
      },
    };
  };
}

/** More than `max` aliased fields in one document. */
export function aliasLimit(max: number): ValidationRule {
  return (context) => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases++;
      },
      Document: {
        leave() {
          if (aliases > max) context.reportError(tooMuch(`The operation has ${aliases} aliases; at most ${max} are allowed`));
        },
      },
    };
  };
}

/**
 * A field costs 1 plus its selections, times the items it asks for: `first` for a page,
 * the length of `inputs` for a batch. Lists whose size the caller does not choose count once.
 */
const pageEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = args.first;
  const inputs = args.inputs;
  const items = typeof first === 'number' ? first : Array.isArray(inputs) ? inputs.length : 1;
  return Math.max(1, items) * (1 + childComplexity);
};

/** Refuses an operation whose cost (see pageEstimator) is above `max`, before it runs. */
export function costLimit<T extends object>(max: number): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          let cost: number;
          try {
            cost = getComplexity({ estimators: [pageEstimator], schema, query: document, variables: request.variables ?? {}, operationName: request.operationName ?? undefined });
          } catch (e) {
            // variables of the wrong type fail here first: say so, as GraphQL would (without their values)
            const wrongVariable = e instanceof GraphQLError && e.message.startsWith('Variable "$');
            throw new DsrError(ErrorCode.BAD_USER_INPUT, wrongVariable ? safeInputMessage(e.message, e.originalError) : 'The operation is too large to estimate its cost', { status: 400 });
          }
          if (cost > max) throw new DsrError(ErrorCode.BAD_USER_INPUT, `The operation costs ${cost}; at most ${max} is allowed (ask for fewer items with first, or fewer subjects)`, { status: 400 });
        },
      };
    },
  };
}
