import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../../resolvers/page-info.types';

@ObjectType({ description: "The user's employer, a customer of the company" })
export class AppOrganisation {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => DateTimeResolver) contractStart!: Date;
  @Field(() => DateTimeResolver, { nullable: true }) contractEnd!: Date | null;
}

@ObjectType({ description: 'The account in the engagement app' })
export class AppUser {
  @Field(() => ID) id!: string;
  @Field() firstName!: string;
  @Field() lastName!: string;
  @Field() email!: string;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => AppOrganisation) employer!: AppOrganisation;
  @Field() marketingConsent!: boolean;
  @Field() processingRestricted!: boolean;
  @Field(() => DateTimeResolver) createdAt!: Date;
  @Field(() => DateTimeResolver, { nullable: true }) lastLoginAt!: Date | null;
}

@ObjectType({ description: 'One view of a content item: what the user looked at' })
export class AppViewEvent {
  @Field(() => ID) id!: string;
  @Field(() => DateTimeResolver) viewedAt!: Date;
  @Field(() => ID) contentId!: string;
  @Field() contentKind!: string;
  @Field() contentTitle!: string;
  @Field(() => Int) durationSeconds!: number;
  @Field() device!: string;
}

@ObjectType()
export class AppViewEventEdge {
  @Field() cursor!: string;
  @Field(() => AppViewEvent) node!: AppViewEvent;
}

@ObjectType()
export class AppActivityConnection {
  @Field(() => [AppViewEventEdge]) edges!: AppViewEventEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@ObjectType()
export class AppEnrolment {
  @Field(() => ID) id!: string;
  @Field(() => ID) courseId!: string;
  @Field() courseTitle!: string;
  @Field(() => DateTimeResolver) enrolledAt!: Date;
  @Field(() => Int, { description: 'derived by the app from the lessons completed' }) progressPercent!: number;
  @Field(() => DateTimeResolver, { nullable: true }) completedAt!: Date | null;
  @Field(() => String, { nullable: true }) certificateId!: string | null;
}

@ObjectType()
export class AppAnswer {
  @Field(() => ID) id!: string;
  @Field(() => ID) assignmentId!: string;
  @Field(() => ID) missionId!: string;
  @Field() missionTitle!: string;
  @Field() answerText!: string;
  @Field(() => DateTimeResolver) submittedAt!: Date;
  @Field(() => Int, { nullable: true }) score!: number | null;
}
