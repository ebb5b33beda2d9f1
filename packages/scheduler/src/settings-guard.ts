// A typo in habitat.yaml must never change isolation: its `defaults:` may be what puts agents in Docker.
// The daemon keeps a copy of the last habitat.yaml that loaded cleanly in its state dir; while the file on
// disk is broken, agents are loaded against that copy (and the daemon says so loudly). With no copy yet,
// no agent is loaded at all: running one with the embedded defaults could move it onto the host.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Coordinator, type Diagnostic, loadCoordinator, SETTINGS_FILE } from '@habitat/config';

export const LAST_GOOD_SETTINGS = 'settings.last-good.yaml';

export interface GuardedLoad {
  coordinator: Coordinator;
  /** set while habitat.yaml is broken: what the daemon does about it */
  settingsProblem?: string;
}

export async function loadGuarded(root: string, stateDir?: string): Promise<GuardedLoad> {
  const coordinator = await loadCoordinator(root);
  const file = path.join(path.resolve(root), SETTINGS_FILE);
  const dir = stateDir ?? coordinator.settings.stateDir;
  const copy = path.join(dir, LAST_GOOD_SETTINGS);
  const broken = coordinator.diagnostics.filter((d) => d.file === file && d.severity === 'error');
  if (broken.length === 0) {
    remember(file, dir, copy);
    return { coordinator };
  }
  let lastGood: string | undefined;
  try {
    lastGood = readFileSync(copy, 'utf8');
  } catch {
    // none yet
  }
  const note = (message: string): Diagnostic => ({
    code: 'invalid-value',
    severity: 'error',
    file,
    line: 0,
    column: 0,
    path: '',
    message,
    hint: 'fix the errors above (habitat validate shows them all); the daemon reloads when the file changes',
  });
  if (lastGood === undefined) {
    const problem =
      'habitat.yaml is broken and there is no last good copy of it: no agent runs until it is fixed (its defaults could change where agents run)';
    return {
      coordinator: { ...coordinator, agents: [], diagnostics: [...coordinator.diagnostics, note(problem)] },
      settingsProblem: problem,
    };
  }
  const fallback = await loadCoordinator(root, { settingsText: lastGood });
  const problem =
    'habitat.yaml is broken: the daemon keeps its last good settings (defaults, isolation) until it is fixed';
  return {
    coordinator: {
      ...fallback,
      diagnostics: [...broken, ...fallback.diagnostics.filter((d) => d.file !== file), note(problem)],
    },
    settingsProblem: problem,
  };
}

function remember(file: string, dir: string, copy: string): void {
  try {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (existsSync(copy) && readFileSync(copy, 'utf8') === text) return;
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    // Written aside and renamed: a crash mid-write never leaves a half copy to fall back on.
    writeFileSync(`${copy}.tmp`, text, { mode: 0o600 });
    renameSync(`${copy}.tmp`, copy);
  } catch {
    // best effort: the copy is a safety net, not state
  }
}
