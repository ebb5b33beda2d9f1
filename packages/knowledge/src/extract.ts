// Extraction: explicit LEARNED: markers, offline heuristics (a tool error followed by the fix that
// worked; a rate-limit discovery), and optionally a model run through Claude Code in --print mode.
import type { SessionEvent } from '@habitat/sessions';
import { similarity, titleOf } from './text.js';

export interface Candidate {
  title: string;
  body: string;
  tags: string[];
  source: 'explicit' | 'heuristic' | 'extracted';
  eventIds: number[];
}

// Anywhere in a line ("Done. LEARNED: ..."), up to the end of that line; the word must be the marker itself.
const MARKER = /(?<![\p{L}\p{N}_])LEARNED:\s*([^\n]+)/gu;

/** `LEARNED: ...` markers in a text, wherever they start in a line. */
export function extractMarkers(text: string): string[] {
  return [...text.matchAll(MARKER)]
    .map((m) => m[1]!.trim().replace(/^[`*_"]+|[`*_"]+$/g, ''))
    .filter((t) => t.length >= 12);
}

/**
 * A rate limit actually hit: a 429, "too many requests", "rate limit exceeded/reached", a quota error. Not
 * ordinary pacing text ("x-rate-limit-remaining: 42", "I'll stay under the rate limit").
 */
const RATE_LIMIT_HIT =
  /(\b429\b|too many requests|rate[ -]?limit(?:ed\b|\s+(?:exceeded|reached|hit))|(?:hit|ran into|exceeded|reached) (?:the |a |our )?rate[ -]?limit|quota exceeded|resource_exhausted)/i;

function firstLine(text: string | undefined, max = 200): string {
  const line = (text ?? '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line.trim();
}

/** Offline extraction from a session's events: markers and heuristics. */
export function extractOffline(events: SessionEvent[]): Candidate[] {
  const out: Candidate[] = [];
  const seenMarkers = new Set<string>();
  // Markers: only from what the agent said or printed (a prompt that asks for LEARNED: lines is not one).
  for (const e of events) {
    if (e.role === 'user' && e.kind === 'prompt') continue;
    for (const text of extractMarkers(e.text ?? '')) {
      if (seenMarkers.has(text)) continue;
      seenMarkers.add(text);
      out.push({ title: titleOf(text), body: text, tags: [], source: 'explicit', eventIds: [e.id] });
    }
  }
  // A failed command followed by one that worked for the same tool: the fix is the lesson.
  const resultOf = new Map<string, SessionEvent>();
  for (const e of events) if (e.kind === 'tool_result' && e.toolUseId) resultOf.set(e.toolUseId, e);
  const calls = events.filter((e) => e.kind === 'tool_use' && e.toolName === 'Bash' && e.toolUseId);
  for (let i = 0; i < calls.length; i++) {
    const failed = calls[i]!;
    const failure = resultOf.get(failed.toolUseId!);
    if (!failure?.isError) continue;
    const next = calls.slice(i + 1, i + 4).find((c) => !resultOf.get(c.toolUseId!)?.isError);
    if (!next) continue;
    const before = (failed.commands[0] ?? '').trim();
    const after = (next.commands[0] ?? '').trim();
    // The retry must be about the same thing (a shared term), not an unrelated next step.
    if (!before || !after || before === after || similarity(before, after) === 0) continue;
    const body = `\`${before}\` failed (${firstLine(failure.text, 160) || 'error'}); \`${after}\` worked instead.`;
    out.push({
      title: titleOf(`Use \`${after.slice(0, 60)}\` rather than \`${before.slice(0, 60)}\``),
      body,
      tags: ['fix'],
      source: 'heuristic',
      eventIds: [failed.id, failure.id, next.id],
    });
  }
  // A rate limit the agent ran into: when and what it said.
  const limit = events.find(
    (e) =>
      (e.kind === 'tool_result' || e.kind === 'text' || e.kind === 'result') &&
      RATE_LIMIT_HIT.test(e.text ?? ''),
  );
  if (limit) {
    const line = (limit.text ?? '').split('\n').find((l) => RATE_LIMIT_HIT.test(l)) ?? '';
    const tool =
      limit.kind === 'tool_result'
        ? (events.find((e) => e.toolUseId === limit.toolUseId && e.kind === 'tool_use')?.toolName ?? 'a tool')
        : 'the API';
    out.push({
      title: titleOf(`Rate limit hit via ${tool}`),
      body: `A session ran into a rate limit via ${tool}: "${firstLine(line, 200)}". Pace requests (or write a wake time to $HABITAT_WAKE_FILE) instead of retrying at once.`,
      tags: ['rate-limit'],
      source: 'heuristic',
      eventIds: [limit.id],
    });
  }
  return dropRestatedPrompts(out, events);
}

/** A candidate that restates the session's own prompt is not a lesson. */
function dropRestatedPrompts(candidates: Candidate[], events: SessionEvent[]): Candidate[] {
  const prompts = events.filter((e) => e.kind === 'prompt').map((e) => e.text ?? '');
  return candidates.filter((c) => !prompts.some((p) => similarity(c.body, p) >= 0.6 || p.includes(c.body)));
}

/** A session transcript compacted to fit a character budget: prompts, the model's text, tools with errors first. */
export function compactTranscript(events: SessionEvent[], maxChars = 24_000): string {
  const lines = events.flatMap((e): string[] => {
    if (e.kind === 'prompt') return [`USER: ${e.text ?? ''}`];
    if (e.kind === 'text') return [`ASSISTANT: ${e.text ?? ''}`];
    if (e.kind === 'tool_use') return [`TOOL ${e.toolName}: ${JSON.stringify(e.input ?? {}).slice(0, 300)}`];
    if (e.kind === 'tool_result')
      return [`RESULT${e.isError ? ' (error)' : ''}: ${(e.text ?? '').slice(0, e.isError ? 600 : 200)}`];
    return [];
  });
  let text = lines.join('\n');
  if (text.length <= maxChars) return text;
  // Keep the start and the end, where the task and the outcome are.
  const half = Math.floor(maxChars / 2);
  text = `${text.slice(0, half)}\n[... ${text.length - maxChars} characters omitted ...]\n${text.slice(-half)}`;
  return text;
}

export const EXTRACTION_PROMPT = `You extract durable engineering lessons from an AI agent's session transcript.
Return ONLY a JSON object: {"learnings": [{"title": "...", "body": "...", "tags": ["..."]}]}.
A lesson is a concrete, reusable fact another agent would need next time: what happened, when it applies, how it
was found. Keep a lesson only if it passes all four tests: generalizable (it holds beyond this one session),
non-obvious (not something any engineer knows), actionable (it says what to do or avoid), novel (not the task
restated). At most 5 lessons; return {"learnings": []} when there is nothing worth keeping.

Transcript:
`;

const EPHEMERAL = /\b(this session|this run|the user asked|i just|i will|i'll|let me|as requested)\b/i;
const GENERIC =
  /^(?:always |remember to |make sure to |be careful |it is important to )?(?:write (?:more )?tests|read the (?:docs|documentation)|check the logs|test your code|use version control|commit often|handle errors(?: properly)?)\b/i;
const ACTIONABLE =
  /\b(use|set|run|add|avoid|never|always|must|should|instead|don't|do not|need|needs|requires?|pass|call|wait|retry|restart|pin|disable|enable|keep|split|filter|mount|configure|install|prefer|replace|breaks?|fails?)\b|`[^`]+`|\d/i;
/** Identifiers that only mean something inside one session: hashes, ULIDs, temp paths. */
const ONE_OFF = /\b[0-9a-f]{12,}\b|\b[0-9A-HJKMNP-TV-Z]{26}\b|\/tmp\/[\w.-]+/g;

/**
 * The write test a model-extracted candidate must pass before it is stored (the cq-style criteria):
 * generalizable, non-obvious, actionable, novel. Returns the failed criteria (empty: it passes).
 */
export function writeTest(
  candidate: Pick<Candidate, 'title' | 'body'>,
  context: { prompts?: string[]; known?: string[] } = {},
): ('generalizable' | 'non-obvious' | 'actionable' | 'novel')[] {
  const text = `${candidate.title}. ${candidate.body}`;
  const failed: ('generalizable' | 'non-obvious' | 'actionable' | 'novel')[] = [];
  const words = text.split(/\s+/).length;
  const oneOff = (text.match(ONE_OFF) ?? []).length;
  if (EPHEMERAL.test(text) || oneOff * 4 > words) failed.push('generalizable');
  if (
    GENERIC.test(candidate.body.trim()) ||
    GENERIC.test(candidate.title.trim()) ||
    candidate.body.length < 40
  )
    failed.push('non-obvious');
  if (!ACTIONABLE.test(candidate.body)) failed.push('actionable');
  const restates = (context.prompts ?? []).some(
    (p) => similarity(text, p) >= 0.6 || p.includes(candidate.body),
  );
  const known = (context.known ?? []).some((k) => similarity(text, k) >= 0.8);
  if (restates || known) failed.push('novel');
  return failed;
}
