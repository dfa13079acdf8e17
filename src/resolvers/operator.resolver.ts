import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context';
import { OperatorType } from './operator.types';

@Resolver()
export class OperatorResolver {
  @Authorized()
  @Query(() => OperatorType, { description: 'The operator behind the bearer token (any role)' })
  me(@Ctx() ctx: GatewayContext): OperatorType {
    return ctx.operator!;
  }
}
