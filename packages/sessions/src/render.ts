/** Turn a session into text people read: a transcript (for `show`), Markdown, HTML or JSON. */
import type { SessionIndex } from './query.js';
import type { Session, SessionEvent } from './types.js';

export type ExportFormat = 'md' | 'html' | 'json';

/** One line (or block) per event, as `show` and `replay` print it. */
export function describeEvent(
  e: SessionEvent,
  options: { maxChars?: number } = {},
): { label: string; body: string } {
  const max = options.maxChars ?? 2000;
  const clip = (s: string | undefined) =>
    s && s.length > max ? `${s.slice(0, max)}… (${s.length - max} more chars)` : (s ?? '');
  switch (e.kind) {
    case 'prompt':
      return { label: e.role === 'meta' ? 'meta' : 'user', body: clip(e.text) };
    case 'text':
      return { label: 'assistant', body: clip(e.text) };
    case 'thinking':
      return { label: 'thinking', body: clip(e.thinking) };
    case 'tool_use':
      return { label: `tool ${e.toolName ?? ''}`.trim(), body: clip(e.text ?? JSON.stringify(e.input)) };
    case 'tool_result':
      return {
        label: e.isError
          ? `result ERROR${e.toolName ? ` ${e.toolName}` : ''}`
          : `result${e.toolName ? ` ${e.toolName}` : ''}`,
        body: clip(e.text),
      };
    default:
      return { label: e.kind, body: clip(e.text ?? e.thinking) };
  }
}

/** A whole session in one of the export formats (events are already redacted in the index). */
export function exportSession(index: SessionIndex, id: string, format: ExportFormat): string {
  const detail = index.getSessionDetail(id);
  if (!detail) throw new Error(`no session ${id}`);
  const events = index.getEvents(id);
  if (format === 'json') return `${JSON.stringify({ ...detail, events }, null, 2)}\n`;
  if (format === 'md') return toMarkdown(detail.session, events);
  return toHtml(detail.session, events);
}

function header(s: Session): string[] {
  return [
    `source: ${s.source}`,
    s.project ? `project: ${s.project}` : '',
    s.branch ? `branch: ${s.branch}` : '',
    s.agent ? `agent: ${s.agent}${s.runId ? ` (run ${s.runId})` : ''}` : '',
    s.firstAt ? `time: ${s.firstAt} – ${s.lastAt}` : '',
    s.models.length ? `models: ${s.models.join(', ')}` : '',
    `tokens: in ${s.tokens.input}, out ${s.tokens.output}, cache read ${s.tokens.cacheRead}, cache write ${s.tokens.cacheCreation}${s.costUsd !== undefined ? `, ~$${s.costUsd.toFixed(4)}` : ''}`,
    `tool calls: ${s.toolCalls}, errors: ${s.toolErrors}`,
  ].filter(Boolean);
}

function toMarkdown(s: Session, events: SessionEvent[]): string {
  const out = [`# ${s.title ?? s.id}`, '', ...header(s).map((l) => `- ${l}`), ''];
  for (const e of events) {
    const { label, body } = describeEvent(e, { maxChars: 20_000 });
    out.push(`### ${label}${e.time ? ` · ${e.time}` : ''}${e.sidechain ? ' · subagent' : ''}`, '');
    if (e.kind === 'tool_use') out.push('```json', JSON.stringify(e.input ?? {}, null, 2), '```', '');
    else if (e.kind === 'tool_result' || e.kind === 'thinking') out.push(fence(body), '');
    else out.push(body, '');
  }
  return `${out.join('\n')}\n`;
}

function fence(text: string): string {
  const ticks = text.includes('```') ? '````' : '```';
  return `${ticks}\n${text}\n${ticks}`;
}

function toHtml(s: Session, events: SessionEvent[]): string {
  const esc = (t: string) =>
    t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const rows = events.map((e) => {
    const { label, body } = describeEvent(e, { maxChars: 20_000 });
    const content = e.kind === 'tool_use' ? JSON.stringify(e.input ?? {}, null, 2) : body;
    return `<section class="ev ${esc(e.kind)}${e.isError ? ' error' : ''}"><h3>${esc(label)}<small>${esc(e.time ?? '')}</small></h3><pre>${esc(content)}</pre></section>`;
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(s.title ?? s.id)}</title>
<style>body{font:14px system-ui;max-width:60rem;margin:2rem auto}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}.error pre{background:#fee}.thinking pre{color:#666}small{margin-left:1rem;color:#888;font-weight:normal}</style>
</head><body><h1>${esc(s.title ?? s.id)}</h1><ul>${header(s)
    .map((l) => `<li>${esc(l)}</li>`)
    .join('')}</ul>
${rows.join('\n')}
</body></html>
`;
}
