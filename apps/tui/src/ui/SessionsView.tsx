import { Box, Text } from 'ink';
import type { SessionsState } from '../state/app.js';
import { fit } from '../state/format.js';

export interface SessionsViewProps {
  sessions: SessionsState;
  width: number;
  height: number;
}

/** Search hits in the session index, or one transcript with tool calls folded to a line. */
export function SessionsView({ sessions, width, height }: SessionsViewProps) {
  const t = sessions.transcript;
  if (t) {
    const lines: { key: string; text: string; bold?: boolean; selected: boolean }[] = [];
    t.entries.forEach((e, i) => {
      const folded = e.foldable && !t.unfolded.includes(e.id);
      const first = e.body.split('\n')[0] ?? '';
      lines.push({
        key: `${e.id}`,
        text: `${e.foldable ? (folded ? '▸ ' : '▾ ') : '  '}${e.label}: ${folded ? first : first}`,
        bold: true,
        selected: i === t.cursor,
      });
      if (!folded) {
        for (const [j, l] of e.body.split('\n').slice(1, 40).entries())
          lines.push({ key: `${e.id}.${j}`, text: `    ${l}`, selected: false });
      }
    });
    const room = height - 1;
    const at = lines.findIndex((l) => l.selected);
    const top = Math.max(0, Math.min(at - Math.floor(room / 3), lines.length - room));
    return (
      <Box flexDirection="column" height={height}>
        <Text bold wrap="truncate">
          {fit(`${t.title} · ${t.entries.length} events · space folds, t folds all, esc back`, width)}
        </Text>
        {lines.slice(top, top + room).map((l) => (
          <Text key={l.key} wrap="truncate" inverse={l.selected} bold={l.bold ?? false}>
            {fit(`${l.selected ? '>' : ' '}${l.text}`, width)}
          </Text>
        ))}
      </Box>
    );
  }
  const room = Math.max(1, Math.floor((height - 1) / 2));
  const top = Math.max(0, Math.min(sessions.selected - room + 1, sessions.hits.length - room));
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate">
        {sessions.query
          ? `${sessions.hits.length} hit${sessions.hits.length === 1 ? '' : 's'} for "${sessions.query}"${sessions.mode === 'any' ? ' (any word)' : ''} · enter reads the transcript`
          : 'Press / to search the session index'}
      </Text>
      {sessions.error && <Text>{fit(sessions.error, width)}</Text>}
      {sessions.hits.slice(top, top + room).map((h, i) => {
        const sel = top + i === sessions.selected;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are screen positions
          <Box key={`${h.sessionId}-${i}`} flexDirection="column">
            <Text wrap="truncate" inverse={sel} bold>
              {fit(
                `${sel ? '>' : ' '} ${h.title} · ${h.agent ? `agent ${h.agent} · ` : ''}${h.when.slice(0, 16).replace('T', ' ')} · ${h.kind}`,
                width,
              )}
            </Text>
            <Text wrap="truncate">{fit(`    ${h.snippet}`, width)}</Text>
          </Box>
        );
      })}
    </Box>
  );
}
