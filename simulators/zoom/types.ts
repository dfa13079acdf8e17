/** Zoom's records as the API returns them (field names kept), and the simulator's state. */

export type RegistrantStatus = 'approved' | 'pending' | 'denied';
export const REGISTRANT_STATUSES: readonly RegistrantStatus[] = ['approved', 'pending', 'denied'];

/** A user of the Zoom account who hosts webinars. */
export interface ZoomUser {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
}

/** One webinar as GET /users/{userId}/webinars lists it. */
export interface Webinar {
  uuid: string;
  /** Zoom's webinar ids are 11-digit integers (int64 in JSON). */
  id: number;
  host_id: string;
  topic: string;
  /** 5 = webinar, 6 = recurring without fixed time, 9 = recurring with fixed time. */
  type: 5 | 6 | 9;
  start_time: string;
  duration: number;
  timezone: string;
  agenda: string;
  created_at: string;
  join_url: string;
  is_simple_webinar: boolean;
}

export interface CustomQuestion {
  title: string;
  value: string;
}

/** One registrant as GET /webinars/{webinarId}/registrants lists it. */
export interface Registrant {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  address: string;
  city: string;
  country: string;
  zip: string;
  state: string;
  phone: string;
  industry: string;
  org: string;
  job_title: string;
  purchasing_time_frame: string;
  role_in_purchase_process: string;
  no_of_employees: string;
  comments: string;
  custom_questions: CustomQuestion[];
  status: RegistrantStatus;
  create_time: string;
  join_url: string;
}

/** What the demo world gives Zoom. */
export interface ZoomData {
  users: ZoomUser[];
  webinars: Webinar[];
  /** Webinar id (as text) -> its registrants, in registration order. */
  registrants: Record<string, Registrant[]>;
}

export interface ZoomState extends ZoomData {
  accountId: string;
  clientId: string;
  clientSecret: string;
  /** Signs access tokens and page tokens. */
  signingKey: string;
  /** Tokens of an older generation are refused (a revocation, or a newer token in Zoom's single-token mode). */
  tokenGeneration: number;
}
