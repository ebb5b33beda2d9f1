import { Box, Text } from 'ink';
import type { View } from '../state/app.js';
import { VIEWS } from '../state/app.js';

export interface HeaderProps {
  view: View;
  agents: number;
  running: number;
  colour: boolean;
}

/** The view tabs (the current one in brackets, so it reads without colour) and the fleet's size. */
export function Header({ view, agents, running, colour }: HeaderProps) {
  return (
    <Box>
      <Text bold>habitat </Text>
      {VIEWS.map((v, i) => (
        <Text
          key={v}
          {...(v === view ? { bold: true, ...(colour ? { color: 'cyan' } : {}) } : { dimColor: colour })}
        >
          {v === view ? `[${i + 1} ${v}]` : ` ${i + 1} ${v} `}
        </Text>
      ))}
      <Text>
        {'  '}
        {agents} agents, {running} running
      </Text>
    </Box>
  );
}
