import { z } from 'zod';
import { HttpError, type HttpClient, type HttpResponse } from '../http';

/**
 * The Google Ads REST calls of a Customer Match removal: OfflineUserDataJobService create,
 * addOperations and run, and the job's status read with GoogleAdsService.Search (GAQL).
 * Hashes travel only in bodies; routes are logged as templates.
 */

export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED';
const JOB_STATUSES: readonly string[] = ['PENDING', 'RUNNING', 'SUCCESS', 'FAILED'];

/** Operations per addOperations call (Google takes up to 100,000 identifiers per request). */
export const OPERATIONS_PER_CALL = 10_000;

const createdSchema = z.object({ resourceName: z.string().regex(/^customers\/\d+\/offlineUserDataJobs\/\d+$/) }).loose();
const addedSchema = z.object({ partialFailureError: z.object({ code: z.number().optional(), message: z.string().optional() }).loose().optional() }).loose();
const searchSchema = z
  .object({
    results: z
      .array(z.object({ offlineUserDataJob: z.object({ resourceName: z.string(), status: z.string(), failureReason: z.string().optional() }).loose() }).loose())
      .optional(),
  })
  .loose();

export interface JobState {
  resourceName: string;
  status: JobStatus | 'UNKNOWN';
}

export class GoogleAdsApi {
  constructor(
    private readonly http: HttpClient,
    private readonly version: string,
    private readonly customerId: string,
  ) {}

  /** POST .../offlineUserDataJobs:create for a Customer Match user list: the job's resource name. */
  async createJob(userList: string, signal: AbortSignal): Promise<string> {
    const route = `/${this.version}/customers/{customerId}/offlineUserDataJobs:create`;
    const res = await this.http.request<unknown>({
      method: 'POST', path: route, params: { customerId: this.customerId }, signal,
      json: { job: { type: 'CUSTOMER_MATCH_USER_LIST', customerMatchUserListMetadata: { userList: `customers/${this.customerId}/userLists/${userList}` } } },
    });
    this.expect(route, res, createdSchema);
    return (res.body as { resourceName: string }).resourceName;
  }

  /** POST {job}:addOperations with one remove operation per hashed address. */
  async removeHashes(job: string, hashes: readonly string[], signal: AbortSignal): Promise<void> {
    const route = `/${this.version}/{job}:addOperations`;
    for (let i = 0; i < hashes.length; i += OPERATIONS_PER_CALL) {
      const operations = hashes.slice(i, i + OPERATIONS_PER_CALL).map((h) => ({ remove: { userIdentifiers: [{ hashedEmail: h }] } }));
      const res = await this.http.request<unknown>({
        method: 'POST', path: route.replace('{job}', job), signal,
        json: { operations, enablePartialFailure: true },
        idempotent: true, // the same removals added twice remove the same addresses
      });
      this.expect(route, res, addedSchema);
      if ((res.body as { partialFailureError?: unknown }).partialFailureError) {
        throw new HttpError({ system: this.http.system, status: res.status, method: 'POST', route, body: res.body, headers: res.headers, detail: 'Google Ads refused some of the removals' });
      }
    }
  }

  /** POST {job}:run: Google processes the job asynchronously (a long-running operation). */
  async run(job: string, signal: AbortSignal): Promise<void> {
    const route = `/${this.version}/{job}:run`;
    const res = await this.http.request<unknown>({ method: 'POST', path: route.replace('{job}', job), json: {}, signal });
    this.expect(route, res, z.object({ name: z.string() }).loose());
  }

  /** The jobs' status through googleAds:search; a job Google does not return is UNKNOWN. */
  async statuses(jobs: readonly string[], signal: AbortSignal): Promise<JobState[]> {
    const route = `/${this.version}/customers/{customerId}/googleAds:search`;
    const names = jobs.map((j) => `'${j}'`).join(', ');
    const query =
      'SELECT offline_user_data_job.resource_name, offline_user_data_job.status, offline_user_data_job.failure_reason ' +
      `FROM offline_user_data_job WHERE offline_user_data_job.resource_name IN (${names})`;
    const res = await this.http.request<unknown>({
      method: 'POST', path: route, params: { customerId: this.customerId }, json: { query }, signal,
      idempotent: true, // a search only reads
    });
    this.expect(route, res, searchSchema);
    const found = new Map(((res.body as z.infer<typeof searchSchema>).results ?? []).map((r) => [r.offlineUserDataJob.resourceName, r.offlineUserDataJob.status]));
    return jobs.map((j) => {
      const status = found.get(j);
      return { resourceName: j, status: status !== undefined && JOB_STATUSES.includes(status) ? (status as JobStatus) : 'UNKNOWN' };
    });
  }

  private expect(route: string, res: HttpResponse<unknown>, schema: z.ZodType): void {
    if (schema.safeParse(res.body).success) return;
    throw new HttpError({ system: this.http.system, status: res.status, method: 'POST', route, body: res.body, headers: res.headers, detail: 'the answer does not have the expected shape' });
  }
}
