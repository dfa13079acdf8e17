import DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../context';
import type { DsrTaskEntity } from '../entities/dsr-task.entity';
import { encodeRequestCursor } from '../services/request.service';
import { RequestStatus, RequestType, Role } from './enums';
import { DownloadLink, DsrRequest, DsrRequestConnection, ErasurePlan, ErasureReport, ExportFile, FieldChange, SubmitRequestInput, SystemTask } from './request.types';
import { SubjectInput } from './subject.types';
import type { ActionState } from '../services/action.service';
import { Identifier } from './subject.types';

const ANY = [Role.VIEWER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR];

/** The tasks of every request in one response, in one query. */
const tasksLoader = (ctx: GatewayContext) =>
  ctx.scoped('request-tasks', () => new DataLoader<string, DsrTaskEntity[]>((ids) => ctx.services.requests.tasksOf(ids)));

/** Identifier values shown in one response are audited together, once per request shown. */
const subjectReads = (ctx: GatewayContext) =>
  ctx.scoped(
    'request-subject-reads',
    () =>
      new DataLoader<DsrRequest, true, string>(
        async (shown) => {
          await ctx.services.audit.recordMany(shown.map((r) => ({ actor: ctx.operator!.name, action: 'request.viewed', requestId: r.id, subjectRef: r.row.subjectRef })));
          return shown.map(() => true as const);
        },
        { cacheKeyFn: (r) => r.id },
      ),
  );

@Resolver(() => DsrRequest)
export class RequestResolver {
  @Authorized(...ANY)
  @Query(() => DsrRequest, { nullable: true, description: 'any role (VIEWER sees no identifier values)' })
  async request(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<DsrRequest | null> {
    const row = await ctx.services.requests.get(id);
    return row ? DsrRequest.from(row) : null;
  }

  @Authorized(...ANY)
  @Query(() => DsrRequestConnection, { description: 'any role; newest first' })
  async requests(
    @Ctx() ctx: GatewayContext,
    @Arg('status', () => [RequestStatus], { nullable: true }) status: string[] | null,
    @Arg('type', () => [RequestType], { nullable: true }) type: string[] | null,
    @Arg('overdue', () => Boolean, { nullable: true }) overdue: boolean | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<DsrRequestConnection> {
    const page = await ctx.services.requests.list({ status, type, overdue, first: first ?? 50, after });
    const edges = page.rows.map((row) => ({ cursor: encodeRequestCursor(row), node: DsrRequest.from(row) }));
    return { edges, totalCount: page.totalCount, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => DsrRequest, { description: 'OPERATOR' })
  async submitRequest(@Ctx() ctx: GatewayContext, @Arg('input', () => SubmitRequestInput) input: SubmitRequestInput): Promise<DsrRequest> {
    return DsrRequest.from(await ctx.services.requests.submit(ctx.operator!, input));
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => DsrRequest, { description: 'OPERATOR, before anything ran' })
  async cancelRequest(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('reason') reason: string): Promise<DsrRequest> {
    return DsrRequest.from(await ctx.services.requests.cancel(ctx.operator!, id, reason));
  }

  @Authorized(Role.APPROVER)
  @Mutation(() => DsrRequest, { description: 'APPROVER, once, before dueAt' })
  async extendDeadline(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('reason') reason: string): Promise<DsrRequest> {
    return DsrRequest.from(await ctx.services.requests.extend(ctx.operator!, id, reason));
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => DsrRequest, { description: 'OPERATOR, failed systems only' })
  async retryRequest(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<DsrRequest> {
    return DsrRequest.from(await ctx.services.requests.retry(ctx.operator!, id));
  }

  @Authorized(Role.APPROVER)
  @Mutation(() => DsrRequest, { description: 'APPROVER, not the submitter' })
  async approveRequest(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<DsrRequest> {
    return DsrRequest.from(await ctx.services.requests.approve(ctx.operator!, id));
  }

  @Authorized(Role.APPROVER)
  @Mutation(() => DsrRequest, { description: 'APPROVER' })
  async rejectRequest(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('reason') reason: string): Promise<DsrRequest> {
    return DsrRequest.from(await ctx.services.requests.reject(ctx.operator!, id, reason));
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => DsrRequest, { description: 'OPERATOR' })
  async confirmManualStep(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('system') system: string,
    @Arg('evidence') evidence: string,
  ): Promise<DsrRequest> {
    return DsrRequest.from(await ctx.services.requests.confirmManualStep(ctx.operator!, requestId, system, evidence));
  }

  @Authorized(Role.OPERATOR)
  @Query(() => ErasurePlan, { description: 'OPERATOR; dry run, changes nothing' })
  async erasurePlan(@Ctx() ctx: GatewayContext, @Arg('input', () => SubjectInput) input: SubjectInput): Promise<ErasurePlan> {
    const plan = await ctx.services.actions.plan(ctx.operator!, input);
    return {
      subject: plan.subject,
      steps: plan.steps.map((s) => ({ ...s, retainedUntil: s.retainedUntil ?? null, legalBasis: s.legalBasis ?? null, note: s.note ?? null })),
    };
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => DownloadLink, { description: 'OPERATOR; audited' })
  createDownloadLink(@Ctx() ctx: GatewayContext, @Arg('requestId', () => ID) requestId: string): Promise<DownloadLink> {
    return ctx.services.downloads.createLink(ctx.operator!, requestId);
  }

  @FieldResolver(() => [Identifier], { description: 'after a finished erasure: kinds only, values replaced by "<erased>"' })
  async subject(@Ctx() ctx: GatewayContext, @Root() r: DsrRequest): Promise<Identifier[]> {
    const ids = ctx.services.requests.subjectOf(r.row).map(({ kind, value, source, erased }) => ({ kind, source, value: erased ? '<erased>' : value }));
    if (!ctx.operator!.roles.some((role) => role !== Role.VIEWER)) return ids.map((i) => ({ ...i, value: i.value === '<erased>' ? i.value : '<hidden>' }));
    if (ids.some((i) => i.value !== '<erased>')) await subjectReads(ctx).load(r);
    return ids;
  }

  @FieldResolver(() => [FieldChange], {
    nullable: true,
    description: 'RECTIFICATION: the corrections asked for, so that whoever does a manual step knows the values (gone once the person is erased)',
  })
  async changes(@Ctx() ctx: GatewayContext, @Root() r: DsrRequest): Promise<FieldChange[] | null> {
    if (r.type !== 'RECTIFICATION') return null;
    const changes = JSON.parse(r.row.changesJson ?? '[]') as FieldChange[];
    if (viewerOnly(ctx)) return changes.map((c) => ({ system: c.system, field: c.field, value: '<hidden>' }));
    if (changes.length) await subjectReads(ctx).load(r);
    return changes.map((c) => ({ system: c.system, field: c.field, value: c.value }));
  }

  @FieldResolver(() => [SystemTask])
  async tasks(@Ctx() ctx: GatewayContext, @Root() r: DsrRequest): Promise<SystemTask[]> {
    const tasks = await tasksLoader(ctx).load(r.id);
    return tasks.filter((t) => t.kind === 'system').map((t) => toSystemTask(t, r, viewerOnly(ctx)));
  }

  @FieldResolver(() => ErasureReport, { nullable: true, description: 'ERASURE' })
  async erasureReport(@Ctx() ctx: GatewayContext, @Root() r: DsrRequest): Promise<ErasureReport | null> {
    if (r.type !== 'ERASURE') return null;
    const tasks = await tasksLoader(ctx).load(r.id);
    return { completedAt: r.completedAt, systems: tasks.filter((t) => t.kind === 'system').map((t) => toSystemTask(t, r, viewerOnly(ctx))) };
  }

  @FieldResolver(() => Float, { description: '0..1' })
  async progress(@Ctx() ctx: GatewayContext, @Root() r: DsrRequest): Promise<number> {
    const steps = (await tasksLoader(ctx).load(r.id)).filter((t) => t.kind !== 'expire-export');
    if (steps.length === 0) return 0;
    return steps.filter((t) => t.state === 'done').length / steps.length;
  }

  @FieldResolver(() => ExportFile, { nullable: true, description: 'ACCESS and PORTABILITY' })
  export(@Root() r: DsrRequest): ExportFile | null {
    const row = r.row;
    if (!row.exportSha256 || !row.exportCreatedAt || !row.exportExpiresAt) return null;
    return {
      sizeBytes: Number(row.exportSize),
      sha256: row.exportSha256,
      createdAt: new Date(row.exportCreatedAt),
      expiresAt: new Date(row.exportExpiresAt),
      entries: JSON.parse(row.exportEntries ?? '[]') as string[],
    };
  }
}

/** An operator who may only view (no identifier values, no free text about the person). */
const viewerOnly = (ctx: GatewayContext) => !ctx.operator!.roles.some((role) => role !== Role.VIEWER);

function toSystemTask(t: DsrTaskEntity, r: DsrRequest, hideText: boolean): SystemTask {
  const state = (t.resultJson ? JSON.parse(t.resultJson) : {}) as ActionState;
  const o = state.outcome;
  const stepDue = t.dueAt ? new Date(t.dueAt) : null;
  return {
    system: t.system,
    status: t.status,
    attempts: t.attempts,
    lastError: t.lastError,
    startedAt: t.startedAt ? new Date(t.startedAt) : null,
    finishedAt: t.finishedAt ? new Date(t.finishedAt) : null,
    recordsExported: t.recordsExported,
    recordsDeleted: o?.recordsDeleted ?? null,
    recordsAnonymized: o?.recordsAnonymized ?? null,
    recordsRetained: o?.recordsRetained ?? null,
    retainedUntil: o?.retainedUntil ? new Date(o.retainedUntil) : null,
    legalBasis: o?.legalBasis ?? null,
    verifiedAt: state.verifiedAt ? new Date(state.verifiedAt) : null,
    note: t.note,
    owner: state.owner ?? null,
    dueAt: stepDue && stepDue > r.dueAt ? r.dueAt : stepDue,
    confirmedBy: state.confirmed?.by ?? null,
    confirmedAt: state.confirmed ? new Date(state.confirmed.at) : null,
    evidence: state.confirmed ? (hideText ? '<hidden>' : state.confirmed.evidence) : null,
  };
}
