import { Text } from 'ink';
import type { AppState } from '../state/app.js';
import { fit, formatElapsed } from '../state/format.js';

export interface StatusLineProps {
  connection: AppState['connection'];
  prompt?: AppState['prompt'];
  confirm?: AppState['confirm'];
  flash?: AppState['flash'];
  now: number;
  width: number;
  colour: boolean;
}

const PROMPT_LABEL = {
  filter: 'filter',
  'log-search': 'search log',
  sessions: 'search sessions',
  knowledge: 'search learnings',
};

/** The bottom line: a question being asked, what you are typing, a message, or the connection. */
export function StatusLine({ connection, prompt, confirm, flash, now, width, colour }: StatusLineProps) {
  if (confirm)
    return (
      <Text bold wrap="truncate" color={colour ? 'yellow' : undefined}>
        {fit(confirm.message, width)}
      </Text>
    );
  if (prompt)
    return (
      <Text wrap="truncate">{fit(`${PROMPT_LABEL[prompt.kind]}: ${prompt.text}█  (enter, esc)`, width)}</Text>
    );
  if (flash)
    return (
      <Text wrap="truncate" color={colour ? (flash.error ? 'red' : 'green') : undefined}>
        {fit(flash.text, width)}
      </Text>
    );
  return (
    <Text wrap="truncate" color={colour && connection.mode !== 'live' ? 'yellow' : undefined}>
      {fit(describeConnection(connection, now), width)}
    </Text>
  );
}

export function describeConnection(c: AppState['connection'], now: number): string {
  const retry = (at?: number) =>
    at ? `; retrying ${at > now ? `in ${formatElapsed(at - now)}` : 'now'}` : '';
  switch (c.mode) {
    case 'connecting':
      return 'connecting to the daemon…';
    case 'live':
      return `live: daemon${c.pid ? ` pid ${c.pid}` : ''} · ? keys · q quit`;
    case 'read-only':
      return `READ-ONLY: ${c.reason}${retry(c.retryAt)} · ? keys · q quit`;
    case 'offline':
      return `OFFLINE: ${c.reason}${retry(c.retryAt)} · q quit`;
  }
}
