import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { GatewayContext } from '../context';
import { badInput } from '../errors';
import { Role } from './enums';
import { DatasetData, Subject, SubjectInput } from './subject.types';

@Resolver(() => Subject)
export class SubjectResolver {
  @Authorized(Role.OPERATOR)
  @Query(() => Subject, { description: 'OPERATOR; audited' })
  async subject(@Ctx() ctx: GatewayContext, @Arg('input', () => SubjectInput) input: SubjectInput): Promise<Subject> {
    const [view] = await ctx.services.limits.subjects(ctx.operator!.name, 1, () => ctx.services.subjects.view(ctx.operator!, ctx.loaders, [input]));
    return Subject.from(view!);
  }

  @Authorized(Role.OPERATOR)
  @Query(() => [Subject], { description: 'OPERATOR; audited; batched' })
  async subjects(@Ctx() ctx: GatewayContext, @Arg('inputs', () => [SubjectInput]) inputs: SubjectInput[]): Promise<Subject[]> {
    ctx.services.subjects.checkBatch(inputs);
    const views = await ctx.services.limits.subjects(ctx.operator!.name, inputs.length, () => ctx.services.subjects.view(ctx.operator!, ctx.loaders, inputs));
    return views.map((v) => Subject.from(v));
  }
}

@ArgsType()
class RecordsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 100, description: 'at most 1000' })
  first!: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  offset!: number | null;
}

@Resolver(() => DatasetData)
export class DatasetDataResolver {
  @FieldResolver(() => [GraphQLJSON])
  records(@Root() data: DatasetData, @Args(() => RecordsArgs) args: RecordsArgs): unknown[] {
    const first = args.first ?? 100;
    const offset = args.offset ?? 0;
    if (first < 0 || first > 1000) throw badInput('first must be from 0 to 1000');
    if (offset < 0) throw badInput('offset must not be negative');
    return data.rows.slice(offset, offset + first);
  }
}
