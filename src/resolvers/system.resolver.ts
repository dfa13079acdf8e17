import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context';
import { System } from './system.types';

@Resolver()
export class SystemResolver {
  @Authorized()
  @Query(() => [System], { description: 'The data map of every enabled system (any role)' })
  systems(@Ctx() ctx: GatewayContext): System[] {
    return ctx.services.registry.connectors.map((c) => ({
      id: c.id,
      ...c.system,
      processor: c.system.processor ?? null,
      transferSafeguard: c.system.transferSafeguard ?? null,
    }));
  }
}
