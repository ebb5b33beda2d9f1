// A run's channel for lessons (`habitat learn`): a file in its own run dir, `$HABITAT_LEARN_FILE`, like the
// wake file. Only that run (its uid, its container's mount) can write it, so whatever it holds is a lesson of
// that run: the coordinator reads it when the run ends and stores it with the run's own agent and id — never
// with what the agent claims to be — without handing the agent the state dir or the daemon's socket.
// The agent writes one lesson a line: JSON `{"text": "...", "tags": ["..."]}` (what `habitat learn` writes)
// or plain text. Hostile content is bounded: the file, the lessons, their length and their tags.
import path from 'node:path';
import { readRunDirFile } from './run-dir-file.js';

/** `<runDir>/learn` */
export const LEARN_FILE = 'learn';
/** read at most this much of the file */
export const MAX_LEARN_FILE_BYTES = 64 * 1024;
export const MAX_LEARNINGS = 20;
export const MAX_LEARNING_CHARS = 2000;
const MAX_TAGS = 10;
const MAX_TAG_CHARS = 40;

export interface RunLearning {
  text: string;
  tags: string[];
}

export const learnFileOf = (runDir: string) => path.join(runDir, LEARN_FILE);

/** Parse a learn file's content into lessons (scrubbed by `scrub`), with a warning for what was dropped. */
export function parseLearnFile(
  content: string,
  scrub: (text: string) => string = (t) => t,
): { learnings: RunLearning[]; warning?: string } {
  const learnings: RunLearning[] = [];
  let dropped = 0;
  for (const line of content.split('\n')) {
    if (!line.trim()) continue;
    let text: unknown = line;
    let tags: unknown = [];
    if (line.trimStart().startsWith('{')) {
      try {
        const parsed = JSON.parse(line) as { text?: unknown; tags?: unknown };
        text = parsed?.text;
        tags = parsed?.tags ?? [];
      } catch {
        // a line that only looks like JSON is a plain-text lesson
      }
    }
    if (typeof text !== 'string' || !text.trim() || learnings.length >= MAX_LEARNINGS) {
      dropped++;
      continue;
    }
    const clean = scrub(text.replace(/\s+/g, ' ').trim());
    learnings.push({
      text: clean.length > MAX_LEARNING_CHARS ? `${clean.slice(0, MAX_LEARNING_CHARS - 1)}…` : clean,
      tags: (Array.isArray(tags) ? tags : [])
        .filter(
          (t): t is string => typeof t === 'string' && /^[\w.:/-]+$/.test(t) && t.length <= MAX_TAG_CHARS,
        )
        .slice(0, MAX_TAGS),
    });
  }
  return {
    learnings,
    ...(dropped > 0
      ? {
          warning: `learn file: ${dropped} line(s) ignored (not a lesson, or over ${MAX_LEARNINGS} lessons)`,
        }
      : {}),
  };
}

/**
 * Read a run's learn file: regular files only (the agent owns its run dir: a FIFO or a symlink to someone
 * else's file is not read), at most MAX_LEARN_FILE_BYTES. Missing: no lessons.
 */
export async function readLearnFile(
  file: string,
  scrub?: (text: string) => string,
): Promise<{ learnings: RunLearning[]; warning?: string }> {
  const read = await readRunDirFile(file, MAX_LEARN_FILE_BYTES);
  if (read.kind === 'missing') return { learnings: [] };
  if (read.kind === 'refused') return { learnings: [], warning: `learn file: ${read.problem}, ignored` };
  // Cut at the cap: the line the cut falls in is not a lesson (its end, and maybe half a character, are missing).
  const cut = read.size > MAX_LEARN_FILE_BYTES;
  const parsed = parseLearnFile(cut ? read.text.slice(0, read.text.lastIndexOf('\n') + 1) : read.text, scrub);
  if (cut) parsed.warning = `learn file: only its first ${MAX_LEARN_FILE_BYTES} bytes were read`;
  return parsed;
}
