/**
 * Lime Go records as the simulator stores them. References (employer, customer, responsible
 * coworker) are ids, resolved when a query asks for them.
 */

export interface CustomField {
  title: string;
  type: string;
  value: string | null;
}

export interface Coworker {
  id: string;
  name: string;
  email: string;
  phoneNumber: string[];
}

export interface Organization {
  id: string;
  name: string;
  city: string | null;
  email: string | null;
  phoneNumber: string[];
  organizationNumber: string | null;
  responsibleCoworkerId: string | null;
  customFields: CustomField[];
  integrationId: string | null;
  temperature: string | null;
  customerRelation: string | null;
  tags: string[];
}

export interface Person {
  id: string;
  name: string;
  email: string | null;
  phoneNumber: string[];
  employerId: string | null;
  customFields: CustomField[];
}

export interface Deal {
  id: string;
  name: string;
  status: string;
  tags: string[];
  customerId: string;
  value: number;
}

export interface LimeGoData {
  coworkers: Coworker[];
  organizations: Organization[];
  persons: Person[];
  deals: Deal[];
}

export interface LimeGoState extends LimeGoData {
  apiKey: string;
  /** Persons removed through DELETE /__sim/persons/:id (an administrator's manual deletion). */
  deletedPersons: { id: string; deletedAt: string }[];
}
