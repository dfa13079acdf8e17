/** The SendGrid simulator's state with the lookups its routes need. */
import type { PersistentState } from '../common/state';
import { normalisedEmail } from '../people';
import type { Message, SendGridState } from './types';

export class SendGridStore {
  private byRecipient = new Map<string, Message[]>();
  private byId = new Map<string, Message>();

  constructor(readonly state: PersistentState<SendGridState>) {
    this.reindex();
  }

  get data(): SendGridState {
    return this.state.data;
  }

  reindex(): void {
    this.byRecipient.clear();
    this.byId.clear();
    for (const m of this.data.messages) {
      const key = normalisedEmail(m.to_email);
      const list = this.byRecipient.get(key);
      if (list) list.push(m);
      else this.byRecipient.set(key, [m]);
      this.byId.set(m.msg_id, m);
    }
  }

  messagesTo(email: string): Message[] {
    return this.byRecipient.get(normalisedEmail(email)) ?? [];
  }

  message(id: string): Message | undefined {
    return this.byId.get(id);
  }
}

/** Structural validity of an address, as SendGrid checks it before accepting a list. */
export function isEmail(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 320 && /^[^\s@"<>(),;:]+@[^\s@"<>(),;:]+\.[^\s@"<>(),;:]{2,}$/u.test(value);
}
