import { Box, Text } from 'ink';
import { type AccountLine, formatAccounts } from '../state/accounts.js';
import type { View } from '../state/app.js';
import { VIEWS } from '../state/app.js';

export interface HeaderProps {
  view: View;
  agents: number;
  running: number;
  /** agent files with errors */
  problems?: number;
  /** a second row: the Claude accounts, their tightest window and pauses */
  accounts?: AccountLine[];
  /** the zone every time is shown in: `UTC` (--utc) or the local offset, as the CLI prints it */
  zone?: string;
  colour: boolean;
}

/** The view tabs (the current one in brackets, so it reads without colour), the fleet's size, bad files. */
export function Header({ view, agents, running, problems = 0, accounts = [], zone, colour }: HeaderProps) {
  const held = accounts.some((a) => a.pausedUntil);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>habitat</Text>
        {VIEWS.map((v, i) =>
          v === view ? (
            <Text key={v} bold color={colour ? 'cyan' : undefined}>
              {' '}
              [{i + 1} {v}]
            </Text>
          ) : (
            <Text key={v} dimColor={colour}>
              {' '}
              {i + 1} {v}
            </Text>
          ),
        )}
        <Text>
          {'  '}
          {agents} agent{agents === 1 ? '' : 's'}, {running} running
        </Text>
        {problems > 0 && (
          <Text bold color={colour ? 'red' : undefined}>
            , {problems} invalid
          </Text>
        )}
        {zone && <Text dimColor={colour}> · times {zone}</Text>}
      </Text>
      {accounts.length > 0 && (
        <Text wrap="truncate" color={colour && held ? 'yellow' : undefined} dimColor={colour && !held}>
          {formatAccounts(accounts)}
        </Text>
      )}
    </Box>
  );
}
