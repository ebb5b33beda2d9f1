import { Box, Text } from 'ink';
import { clock, fit, formatCost, formatDuration } from '../state/format.js';
import type { LogBuffer, LogWindow } from '../state/runs.js';
import type { RunRecord } from '../state/types.js';
import { statusColour } from './theme.js';

export interface RunViewProps {
  agent?: string;
  runId?: string;
  buffer?: LogBuffer;
  window: LogWindow;
  follow: boolean;
  search: string;
  history: RunRecord[];
  historyIndex: number;
  width: number;
  height: number;
  colour: boolean;
}

/** A run's log (only the visible window) beside its agent events and the agent's run history. */
export function RunView(props: RunViewProps) {
  const { agent, buffer, window: win, width, height, colour } = props;
  if (!agent) return <Text>No agent selected: pick one in the fleet view (1) and press enter.</Text>;
  const side = width >= 70 ? Math.min(34, Math.floor(width * 0.36)) : 0;
  const logWidth = width - side - (side ? 1 : 0);
  const status = buffer?.live
    ? 'running'
    : (buffer?.status ?? props.history.find((r) => r.id === props.runId)?.status);
  const where = props.follow ? 'following' : `line ${win.first + win.lines.length}/${win.total}`;
  const title = props.runId
    ? `${agent} · run ${props.runId} · ${status ?? '?'} · ${where}${props.search ? ` · search "${props.search}"` : ''}`
    : `${agent} · no run yet`;
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate" color={statusColour(status, colour)}>
        {fit(title, width)}
      </Text>
      <Box flexDirection="row" height={height - 1}>
        <Box flexDirection="column" width={logWidth}>
          {win.lines.length === 0 ? (
            <Text dimColor>{props.runId ? '(no output yet)' : ''}</Text>
          ) : (
            win.lines.map((l, row) => (
              // Keyed by screen row, not line number: as the log scrolls each row's Text gets new words
              // instead of every row being unmounted and mounted again (and its layout node with it).
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are screen positions
              <Text key={row} wrap="truncate" inverse={l.match}>
                {fit(l.text, logWidth) || ' '}
              </Text>
            ))
          )}
        </Box>
        {side > 0 && (
          <Box flexDirection="column" width={side} marginLeft={1}>
            <SidePanel {...props} width={side} height={height - 1} />
          </Box>
        )}
      </Box>
    </Box>
  );
}

function SidePanel({ buffer, history, historyIndex, width, height, colour, runId }: RunViewProps) {
  const tools = Object.entries(buffer?.tools ?? {}).sort((a, b) => b[1] - a[1]);
  const recent = (buffer?.events ?? []).filter((e) => e.type === 'tool_use' || e.type === 'text').slice(-4);
  const statsLines = [
    `turns ${buffer?.turns ?? 0} · cost ${formatCost(buffer?.costUsd)}`,
    `tools ${
      tools.length
        ? tools
            .slice(0, 4)
            .map(([t, n]) => `${t}×${n}`)
            .join(' ')
        : '-'
    }`,
    ...recent.map((e) =>
      e.type === 'tool_use' ? `▸ ${e.tool} ${brief(e.input)}` : `“ ${(e.text ?? '').replace(/\s+/g, ' ')}`,
    ),
  ];
  const historyRoom = Math.max(1, height - statsLines.length - 3);
  const start = Math.max(0, Math.min(historyIndex - historyRoom + 1, history.length - historyRoom));
  return (
    <>
      <Text bold>EVENTS</Text>
      {statsLines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are screen positions
        <Text key={`s${i}`} wrap="truncate">
          {fit(line, width)}
        </Text>
      ))}
      <Text bold>HISTORY ([ ] to open)</Text>
      {history.length === 0 ? (
        <Text dimColor>no runs yet</Text>
      ) : (
        history.slice(start, start + historyRoom).map((r) => {
          const at = r.started_at ? new Date(r.started_at) : undefined;
          const when = at ? clock(at) : '--:--';
          const mark = r.id === runId ? '>' : ' ';
          return (
            <Text key={r.id} wrap="truncate" color={statusColour(r.status, colour)} inverse={r.id === runId}>
              {fit(
                `${mark}${when} ${r.status} ${formatDuration(r.duration_ms)}${r.exit_code !== null && r.exit_code !== 0 ? ` exit ${r.exit_code}` : ''}`,
                width,
              )}
            </Text>
          );
        })
      )}
    </>
  );
}

function brief(input: unknown): string {
  if (!input || typeof input !== 'object') return '';
  const o = input as Record<string, unknown>;
  const v = o.command ?? o.file_path ?? o.path ?? o.pattern ?? o.url ?? o.description;
  return typeof v === 'string' ? v.replace(/\s+/g, ' ') : '';
}
