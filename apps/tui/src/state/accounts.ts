// The accounts row of the header: each Claude account the fleet runs with, its tightest window, its pause.
import type { AccountReport } from '@habitat/scheduler';
import { clock } from './format.js';

/** What the header needs of one account (the daemon's `accounts` answer, reduced). */
export interface AccountLine {
  label: string;
  /** e.g. `five_hour 92% allowed_warning, resets 14:00` */
  window?: string;
  pausedUntil?: string;
}

// in the zone the header names (local, or UTC with --utc)
const hhmm = (iso: string) => clock(iso);

export function accountLines(accounts: AccountReport[]): AccountLine[] {
  return accounts.map((a) => {
    // The window nearest its limit says the most.
    const w = [...a.windows].sort((x, y) => (y.utilization ?? 0) - (x.utilization ?? 0))[0];
    const window = w
      ? `${w.window}${w.utilization !== null ? ` ${Math.round(w.utilization * 100)}%` : ''}${w.status && w.status !== 'allowed' ? ` ${w.status}` : ''}${w.resetsAt ? `, resets ${hhmm(w.resetsAt)}` : ''}`
      : undefined;
    return {
      label: a.label.replace(/ \(.*\)$/, ''),
      ...(window ? { window } : {}),
      ...(a.pausedUntil ? { pausedUntil: a.pausedUntil } : {}),
    };
  });
}

/** `accounts: claude-login five_hour 92% allowed_warning, resets 14:00 · api paused until 15:00` */
export function formatAccounts(lines: AccountLine[]): string {
  return `accounts: ${lines
    .map(
      (l) =>
        `${l.label}${l.window ? ` ${l.window}` : ''}${l.pausedUntil ? ` paused until ${hhmm(l.pausedUntil)}` : ''}`,
    )
    .join(' · ')}`;
}
