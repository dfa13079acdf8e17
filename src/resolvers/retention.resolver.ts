import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context';
import { Role } from './enums';
import { DsrRequest } from './request.types';
import { RetentionCandidateConnection, RetentionSweepResult } from './retention.types';

const asIdentifiers = (ids: { kind: string; value: string }[], source: string) => ids.map((i) => ({ kind: i.kind, value: i.value, source }));

@Resolver()
export class RetentionResolver {
  @Authorized(Role.OPERATOR)
  @Query(() => RetentionCandidateConnection, { description: 'OPERATOR; audited (the number listed, never who)' })
  async retentionCandidates(
    @Ctx() ctx: GatewayContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<RetentionCandidateConnection> {
    const page = await ctx.services.retention.candidates(ctx.operator!, { first: first ?? 50, after });
    const edges = page.candidates.map((c) => ({
      cursor: c.cursor,
      node: {
        subject: asIdentifiers(c.identifiers, c.system),
        system: c.system,
        dataset: c.dataset,
        rule: c.ruleText,
        legalBasis: c.rule.legalBasis ?? null,
        since: c.since,
        openRequestId: c.openRequestId,
      },
    }));
    return { edges, totalCount: page.totalCount, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => RetentionSweepResult, { description: 'OPERATOR; proposes ERASURE requests (origin RETENTION) that another person must approve' })
  async runRetentionSweep(@Ctx() ctx: GatewayContext, @Arg('dryRun', () => Boolean) dryRun: boolean): Promise<RetentionSweepResult> {
    const r = await ctx.services.retention.sweep(ctx.operator!.name, dryRun);
    return {
      dryRun: r.dryRun,
      candidates: r.candidates,
      created: r.created,
      skipped: r.skipped,
      requests: r.requests.map((row) => DsrRequest.from(row)),
      subjects: r.subjects.map((s) => ({ subject: asIdentifiers(s.identifiers, s.systems[0] ?? 'retention'), systems: s.systems, since: s.since, requestId: s.requestId, skipped: s.skipped })),
    };
  }
}
