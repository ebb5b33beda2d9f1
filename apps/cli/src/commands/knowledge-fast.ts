/**
 * `habitat knowledge search|context ...` without commander or the rest of the CLI: agents call these before every
 * task, so their start-up is what people feel. The flags the two commands take are read here and the work is
 * knowledge-read.ts's, as under commander. Anything else (an unknown or repeated flag, --help, a bad number, an
 * error of any kind) returns false before anything is printed, and the full CLI handles the command with its own
 * messages and exit codes. HABITAT_KNOWLEDGE_FAST=0 turns the path off.
 *
 * It answers only from an index that is current, opened read-only (no schema statements, no better-sqlite3 where
 * node:sqlite loads quietly), with the settings from their snapshot: a sync with something to write, a first
 * build, a settings file to validate or an embeddings endpoint go to the full CLI. The build bundles this module
 * with what it uses into one file (dist/fast/knowledge.js, see tsup.config.ts): each module loaded is start-up.
 */

import { leadingGlobals } from './fast-args.js';

const SEARCH_VALUES = new Set(['--project', '--agent', '--tags', '-n', '--limit']);
const CONTEXT_VALUES = new Set(['--task', '--agent', '--project', '--budget']);
const BOOLEANS = new Set(['--json', '--pending', '--utc']);

interface Parsed {
  command: 'search' | 'context';
  dir?: string;
  values: Map<string, string>;
  flags: Set<string>;
  words: string[];
}

/** The command line, when this path knows every part of it. */
export function parseKnowledgeArgs(argv: string[]): Parsed | undefined {
  const globals = leadingGlobals(argv);
  if (globals?.rest[0] !== 'knowledge') return undefined;
  const { dir } = globals;
  const args = globals.rest.slice(1);
  const flags = new Set<string>(globals.utc ? ['--utc'] : []);
  const command = args[0];
  if (command !== 'search' && command !== 'context') return undefined;
  const valueFlags = command === 'search' ? SEARCH_VALUES : CONTEXT_VALUES;
  const values = new Map<string, string>();
  const words: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      if (command !== 'search') return undefined;
      words.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.includes('=')) return undefined; // --flag=value: commander's job
    if (valueFlags.has(a)) {
      const v = args[++i];
      if (v === undefined || values.has(a)) return undefined;
      values.set(a === '-n' ? '--limit' : a, v);
    } else if (BOOLEANS.has(a) && (a !== '--pending' || command === 'search')) flags.add(a);
    else if (a.startsWith('-'))
      return undefined; // --help, -C after the command, anything unknown
    else if (command === 'search') words.push(a);
    else return undefined;
  }
  if (command === 'search' && words.length === 0) return undefined;
  if (command === 'context' && !values.has('--task')) return undefined;
  for (const flag of ['--limit', '--budget']) {
    const v = values.get(flag);
    if (v !== undefined && (!/^\d+$/.test(v) || Number(v) < 1)) return undefined;
  }
  return { command, ...(dir !== undefined ? { dir } : {}), values, flags, words };
}

/** Answer the command if this path knows it; false to let the full CLI run it. */
export async function knowledgeFast(argv: string[]): Promise<boolean> {
  if (process.env.HABITAT_KNOWLEDGE_FAST === '0') return false;
  const parsed = parseKnowledgeArgs(argv);
  if (!parsed) return false;
  const { command, values, flags } = parsed;
  let index: import('@habitat/knowledge').KnowledgeIndex | undefined;
  try {
    const { resolveCoordinator } = await import('../coordinator.js');
    const { loadSettings } = await import('@habitat/config');
    const { settings } = await loadSettings(resolveCoordinator(parsed.dir));
    const read = await import('./knowledge-read.js');
    // The embeddings endpoint (a network call, its warning) is the full CLI's.
    if (read.embeddingsOf(settings)) return false;
    const { openKnowledgeIfCurrent } = await import('@habitat/knowledge');
    index = openKnowledgeIfCurrent({ stateDir: settings.stateDir, knowledgeDir: settings.knowledgeDir });
    if (!index) return false;
    // From here on the command is answered here: a failure is a real one, not something to run twice.
    read.warnKnowledge(index);
    const json = flags.has('--json');
    const agent = values.get('--agent');
    const project = values.get('--project');
    const common = {
      ...(agent ? { agent } : {}),
      ...(project ? { project } : {}),
      ...(json ? { json } : {}),
      ...(flags.has('--utc') ? { utc: true } : {}),
    };
    try {
      if (command === 'search') {
        const tags = values.get('--tags');
        await read.runSearch(index, settings, parsed.words.join(' '), {
          ...common,
          limit: Number(values.get('--limit') ?? 10),
          ...(tags ? { tags: read.listOf(tags) } : {}),
          ...(flags.has('--pending') ? { pending: true } : {}),
        });
      } else
        await read.runContext(index, settings, {
          ...common,
          task: values.get('--task')!,
          budget: Number(values.get('--budget') ?? 1500),
        });
    } catch (error) {
      const { exitCodeFor, printError } = await import('../output.js');
      printError(error);
      process.exitCode = exitCodeFor(error);
    }
    return true;
  } catch {
    // before anything was printed: the full CLI says what is wrong, with its exit code
    return false;
  } finally {
    index?.close();
  }
}
