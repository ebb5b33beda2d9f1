import { Box, Text } from 'ink';
import type { KnowledgeState } from '../state/app.js';
import { fit } from '../state/format.js';

export interface KnowledgeViewProps {
  knowledge: KnowledgeState;
  width: number;
  height: number;
}

/** Learnings that match, and the selected one in full with where it came from. */
export function KnowledgeView({ knowledge, width, height }: KnowledgeViewProps) {
  const list = Math.max(1, Math.min(knowledge.hits.length, Math.floor((height - 1) / 3)));
  const top = Math.max(0, Math.min(knowledge.selected - list + 1, knowledge.hits.length - list));
  const sel = knowledge.hits[knowledge.selected];
  const detailRoom = Math.max(0, height - 2 - list);
  const detail = sel
    ? [
        `${sel.id} · ${sel.status}${sel.stale ? ` · stale: ${sel.stale}` : ''} · confidence ${sel.confidence.toFixed(2)} · ${sel.scope}${sel.tags.length ? ` · ${sel.tags.join(', ')}` : ''}`,
        ...sel.body.split('\n'),
        'From:',
        ...(sel.provenance.length ? sel.provenance.map((p) => `  ${p}`) : ['  (no provenance recorded)']),
        ...(sel.file ? [`  file ${sel.file}`] : []),
      ]
    : [];
  // Provenance is what this view is for: keep its lines when the body is long.
  const fromAt = detail.indexOf('From:');
  const shown =
    detail.length > detailRoom && fromAt > 0
      ? [
          ...detail.slice(0, Math.max(1, detailRoom - (detail.length - fromAt))),
          ...detail.slice(fromAt),
        ].slice(0, detailRoom)
      : detail.slice(0, detailRoom);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate">
        {knowledge.query
          ? `${knowledge.hits.length} learnings for "${knowledge.query}"`
          : 'Press / to search learnings'}
      </Text>
      {knowledge.error && <Text>{fit(knowledge.error, width)}</Text>}
      {knowledge.hits.slice(top, top + list).map((h, i) => (
        <Text key={h.id} wrap="truncate" inverse={top + i === knowledge.selected}>
          {fit(
            `${top + i === knowledge.selected ? '>' : ' '} ${h.title} [${h.stale ? `stale: ${h.stale}` : h.status}]`,
            width,
          )}
        </Text>
      ))}
      {sel && <Text>{'─'.repeat(Math.max(0, Math.min(width, 40)))}</Text>}
      {shown.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are screen positions
        <Text key={`d${i}`} wrap="truncate">
          {fit(l, width)}
        </Text>
      ))}
    </Box>
  );
}
