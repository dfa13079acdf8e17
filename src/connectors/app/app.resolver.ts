import { Arg, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { badInput } from '../../errors';
import { Subject } from '../../resolvers/subject.types';
import type { Row } from '../connector';
import { AppActivityConnection, AppAnswer, AppEnrolment, AppUser } from './app.types';

/** Typed views of the app's records on Subject; they read what the subject query already fetched. */
@Resolver(() => Subject)
export class AppSubjectResolver {
  @FieldResolver(() => AppUser, { nullable: true, description: 'The app account (app connector)' })
  appUser(@Root() subject: Subject): AppUser | null {
    const u = subject.records('app', 'profile')[0];
    if (!u) return null;
    return {
      id: String(u.id),
      firstName: String(u.first_name),
      lastName: String(u.last_name),
      email: String(u.email),
      phone: (u.phone as string | null) ?? null,
      employer: {
        id: String(u.organisation_id),
        name: String(u.organisation_name),
        contractStart: toDate(u.organisation_contract_start)!,
        contractEnd: toDate(u.organisation_contract_end),
      },
      marketingConsent: Number(u.marketing_consent) === 1,
      processingRestricted: Number(u.processing_restricted) === 1,
      createdAt: toDate(u.created_at)!,
      lastLoginAt: toDate(u.last_login_at),
    };
  }

  @FieldResolver(() => AppActivityConnection, { description: 'What the subject looked at in the app, newest first' })
  activity(
    @Root() subject: Subject,
    @Arg('first', () => Int, { defaultValue: 50, description: 'at most 1000' }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): AppActivityConnection {
    if (first < 0 || first > 1000) throw badInput('first must be from 0 to 1000');
    const rows = subject.records('app', 'activity');
    let start = 0;
    if (after) {
      const id = decodeCursor(after);
      start = rows.findIndex((r) => String(r.id) === id) + 1;
      if (start === 0) throw badInput('after is not a cursor of this activity list');
    }
    const page = rows.slice(start, start + first);
    const edges = page.map((r) => ({
      cursor: encodeCursor(String(r.id)),
      node: {
        id: String(r.id),
        viewedAt: toDate(r.viewed_at)!,
        contentId: String(r.content_item_id),
        contentKind: String(r.content_kind),
        contentTitle: String(r.content_title),
        durationSeconds: Number(r.duration_seconds),
        device: String(r.device),
      },
    }));
    return { edges, totalCount: rows.length, pageInfo: { hasNextPage: start + first < rows.length, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @FieldResolver(() => [AppEnrolment], { description: 'Course enrolments in the app' })
  enrolments(@Root() subject: Subject): AppEnrolment[] {
    return subject.records('app', 'enrolments').map((r: Row) => ({
      id: String(r.id),
      courseId: String(r.course_id),
      courseTitle: String(r.course_title),
      enrolledAt: toDate(r.enrolled_at)!,
      progressPercent: Number(r.progress_percent),
      completedAt: toDate(r.completed_at),
      certificateId: (r.certificate_id as string | null) ?? null,
    }));
  }

  @FieldResolver(() => [AppAnswer], { description: "The subject's answers to missions in the app" })
  answers(@Root() subject: Subject): AppAnswer[] {
    return subject.records('app', 'answers').map((r: Row) => ({
      id: String(r.id),
      assignmentId: String(r.assignment_id),
      missionId: String(r.mission_id),
      missionTitle: String(r.mission_title),
      answerText: String(r.answer_text),
      submittedAt: toDate(r.submitted_at)!,
      score: r.score === null || r.score === undefined ? null : Number(r.score),
    }));
  }
}

/** The app stores UTC times as 'YYYY-MM-DD HH:MM:SS' (or dates as 'YYYY-MM-DD'). */
function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  const s = String(v);
  return new Date(s.length === 10 ? `${s}T00:00:00Z` : `${s.replace(' ', 'T')}Z`);
}

const encodeCursor = (id: string) => Buffer.from(`view:${id}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const m = /^view:(\d{1,12})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badInput('after is not a cursor of this activity list');
  return m[1]!;
}
