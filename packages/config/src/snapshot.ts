// The fast path for reading a coordinator. Building the zod schemas and loading the YAML parser cost most of a
// read-only command's start-up, so the result of the last full validation is kept as a snapshot, keyed by
// what it was computed from: the files' contents, the root and home directory, the user, this code, and every answer
// the checks got from outside the files (paths that had to exist, environment variables that had to be set).
// When all of that is unchanged the snapshot is the answer, diagnostics included; anything else is validated
// in full (and the snapshot rewritten). The cache lives outside the repo, in $HABITAT_CACHE_DIR or
// $XDG_CACHE_HOME/habitat (~/.cache/habitat); HABITAT_NO_CONFIG_CACHE=1 turns it off.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_CONFIG_BYTES } from './limits.js';
import type { LoadedSettings } from './load.js';
import { listAgentFiles, type Probe, SETTINGS_FILE } from './names.js';
import { readConfigFile } from './read-file.js';
import type { Coordinator } from './types.js';

const FORMAT = 1;
const full = () => import('./load.js');

interface SettingsSnapshot {
  key: string;
  loaded: LoadedSettings;
}
interface AgentsSnapshot {
  key: string;
  probes: Probe[];
  coordinator: Coordinator;
}

/** Read `habitat.yaml` (if any) and resolve the coordinator's directories. */
export async function loadSettings(root: string): Promise<LoadedSettings> {
  const absRoot = path.resolve(root);
  const key = await settingsKey(absRoot);
  const cached = key ? readSnapshot<SettingsSnapshot>(absRoot, 'settings') : undefined;
  if (key && cached?.key === key) return cached.loaded;
  const loaded = await (await full()).loadSettings(absRoot);
  if (key && key === (await settingsKey(absRoot))) writeSnapshot(absRoot, 'settings', { key, loaded });
  return loaded;
}

/**
 * Load a coordinator repo: every valid agent, and a diagnostic for each problem. One broken file never hides
 * the others. `fresh` validates in full even when the snapshot holds (what `habitat validate` does).
 */
export async function loadCoordinator(
  root: string,
  options: { fresh?: boolean; settingsText?: string } = {},
): Promise<Coordinator> {
  const absRoot = path.resolve(root);
  // A stand-in habitat.yaml (the daemon's last good copy) is never cached.
  if (options.settingsText !== undefined)
    return (await full()).loadCoordinator(absRoot, { settingsText: options.settingsText });
  const sKey = await settingsKey(absRoot);
  const settings = sKey ? readSnapshot<SettingsSnapshot>(absRoot, 'settings') : undefined;
  const agentsDir = settings?.key === sKey ? settings?.loaded.settings.agentsDir : undefined;
  const key = sKey && agentsDir ? await agentsKey(sKey, agentsDir) : undefined;
  if (key && !options.fresh) {
    const cached = readSnapshot<AgentsSnapshot>(absRoot, 'agents');
    if (cached?.key === key && cached.probes.every(holds)) return cached.coordinator;
  }
  const load = await full();
  const probes: Probe[] = [];
  const coordinator = await load.loadCoordinator(absRoot, { probes });
  // Written only if the files did not change while they were read (the key must describe what was loaded).
  if (sKey && sKey === (await settingsKey(absRoot))) {
    if (settings?.key !== sKey)
      writeSnapshot(absRoot, 'settings', { key: sKey, loaded: await load.loadSettings(absRoot) });
    const after = await agentsKey(sKey, coordinator.settings.agentsDir);
    if (after && (key === undefined || key === after))
      writeSnapshot(absRoot, 'agents', { key: after, probes, coordinator });
  }
  return coordinator;
}

/** What the settings were computed from, or undefined when habitat.yaml is unreadable (never cached). */
async function settingsKey(absRoot: string): Promise<string | undefined> {
  const text = settingsText(path.join(absRoot, SETTINGS_FILE));
  if (text === undefined) return undefined;
  // The uid too: whether a claude agent would run as root depends on who runs the coordinator.
  const uid = process.getuid?.() ?? -1;
  return JSON.stringify([FORMAT, codeId(), absRoot, homedir(), uid, text]);
}

/**
 * habitat.yaml's text for the key (null: no file), or undefined for anything the full load must report (not a
 * regular file, too large, unreadable). Read synchronously: an async read starts libuv's thread pool, 1.6-7 ms of a
 * read-only command's start-up, for one small file. Opened O_NONBLOCK and checked with fstat on the same descriptor,
 * as readRegularFile does, so a FIFO or a device is never read.
 */
function settingsText(file: string): string | null | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES) return undefined;
    const text = readFileSync(fd, 'utf8');
    return Buffer.byteLength(text) > MAX_CONFIG_BYTES ? undefined : text;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The settings key plus every agent file's name and text; undefined when one cannot be read. */
async function agentsKey(settingsKey: string, agentsDir: string): Promise<string | undefined> {
  const names = await listAgentFiles(agentsDir);
  const reads = await Promise.all(names.map((n) => readConfigFile(path.join(agentsDir, n))));
  const texts: string[] = [];
  for (const read of reads) {
    if (!('text' in read)) return undefined;
    texts.push(read.text);
  }
  return JSON.stringify([settingsKey, agentsDir, names, texts]);
}

function holds(probe: Probe): boolean {
  switch (probe.kind) {
    case 'env':
      return (process.env[probe.name] !== undefined) === probe.value;
    case 'exists':
      return existsSync(probe.path) === probe.value;
    case 'dir':
      try {
        return statSync(probe.path).isDirectory() === probe.value;
      } catch {
        return probe.value === false;
      }
    case 'owner':
      try {
        return statSync(probe.path).uid === probe.value;
      } catch {
        return probe.value === -1;
      }
  }
}

/** FNV-1a, 2 x 32 bits: a file name for a root (the snapshot's key holds the root itself). */
function nameOf(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

declare const __HABITAT_BUILD_ID__: string | undefined;
let code: string | undefined;
/**
 * This build of the loader: a snapshot written by other code (another version, a rebuild) is not used. A bundle
 * that holds the loader twice (the CLI's split build and its knowledge fast path) defines one id for both.
 */
function codeId(): string {
  if (code === undefined && typeof __HABITAT_BUILD_ID__ === 'string') code = __HABITAT_BUILD_ID__;
  if (code === undefined) {
    try {
      const st = statSync(fileURLToPath(import.meta.url));
      code = `${st.mtimeMs}:${st.size}`;
    } catch {
      code = 'unknown';
    }
  }
  return code;
}

function cacheFile(absRoot: string, part: 'settings' | 'agents'): string | undefined {
  if (process.env.HABITAT_NO_CONFIG_CACHE === '1') return undefined;
  const base =
    process.env.HABITAT_CACHE_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'habitat');
  return path.join(base, 'config', `${nameOf(absRoot)}.${part}.json`);
}

function readSnapshot<T>(absRoot: string, part: 'settings' | 'agents'): T | undefined {
  const file = cacheFile(absRoot, part);
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only means the next command validates in full again. */
function writeSnapshot(absRoot: string, part: 'settings' | 'agents', value: unknown): void {
  const file = cacheFile(absRoot, part);
  if (!file) return;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // read-only home, full disk: fine
  }
}
