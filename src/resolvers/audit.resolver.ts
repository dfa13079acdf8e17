import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context';
import { encodeCursor } from '../services/audit.service';
import { AuditChainReport, AuditEventConnection } from './audit.types';
import { Role } from './enums';

@Resolver()
export class AuditResolver {
  @Authorized(Role.AUDITOR)
  @Query(() => AuditEventConnection, { description: 'AUDITOR; newest first' })
  async auditEvents(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID, { nullable: true }) requestId: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<AuditEventConnection> {
    const page = await ctx.services.audit.list({ requestId, first: first ?? 100, after });
    const edges = page.events.map((e) => ({
      cursor: encodeCursor(e.seq),
      node: { id: String(e.seq), at: new Date(e.at), actor: e.actor, action: e.action, requestId: e.requestId, subjectRef: e.subjectRef, count: e.count, hash: e.hash },
    }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Authorized(Role.AUDITOR)
  @Query(() => AuditChainReport, { description: 'AUDITOR' })
  verifyAuditChain(@Ctx() ctx: GatewayContext): Promise<AuditChainReport> {
    return ctx.services.audit.verify();
  }
}
