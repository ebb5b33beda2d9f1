import { Box, Text } from 'ink';
import { type FleetRow, fleetHeader, formatFleetRow, type SortKey } from '../state/fleet.js';
import { stateColour } from './theme.js';

export interface FleetViewProps {
  rows: FleetRow[];
  selected: number;
  width: number;
  height: number;
  sort: SortKey;
  filter: string;
  total: number;
  /** agent files that did not load: shown under the table, they never stop the others */
  problems?: string[];
  colour: boolean;
}

/** The agents table: only the rows that fit are rendered, scrolled so the selection stays visible. */
export function FleetView({
  rows,
  selected,
  width,
  height,
  sort,
  filter,
  total,
  problems = [],
  colour,
}: FleetViewProps) {
  const shown = problems.slice(0, Math.max(0, Math.min(3, height - 3)));
  const room = Math.max(1, height - 1 - shown.length);
  const top = Math.min(Math.max(0, selected - room + 1), Math.max(0, rows.length - room), selected);
  const visible = rows.slice(Math.max(0, top), Math.max(0, top) + room);
  const inner = width - 2;
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate">
        {'  '}
        {fleetHeader(inner, sort)}
      </Text>
      {rows.length === 0 ? (
        <Text>
          {filter
            ? `  no agent matches "${filter}" (${total} agents; esc clears the filter)`
            : '  no agents yet'}
        </Text>
      ) : (
        visible.map((row, i) => {
          const isSelected = top + i === selected;
          return (
            <Text key={row.agent} wrap="truncate" inverse={isSelected} color={stateColour(row.state, colour)}>
              {isSelected ? '> ' : '  '}
              {formatFleetRow(row, inner)}
            </Text>
          );
        })
      )}
      <Box flexGrow={1} />
      {shown.map((p) => (
        <Text key={p} wrap="truncate" color={colour ? 'red' : undefined}>
          {`! ${p}`}
        </Text>
      ))}
    </Box>
  );
}
