// The index holds the text of every session it read: its owner's only, wherever it is (outside a coordinator it
// sits in ~/.local/state/habitat, whose parents are often 0755).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { indexSessions, openSessionIndex } from '../src/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sessions-mode-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const modeOf = (f: string) => statSync(f).mode & 0o777;
/** the database and whichever of its -wal/-shm files are there (closing the last connection removes them) */
const files = (db: string) => [db, `${db}-wal`, `${db}-shm`].filter((f) => f === db || existsSync(f));

function transcript(): string {
  const projects = join(dir, 'claude', 'projects', '-tmp-p');
  const record = {
    type: 'user',
    sessionId: 'aaaa0000-0000-4000-8000-000000000001',
    uuid: 'u1',
    timestamp: '2026-11-30T10:00:00Z',
    cwd: '/tmp/p',
    message: { role: 'user', content: 'a private conversation' },
  };
  mkdirSync(projects, { recursive: true });
  writeFileSync(join(projects, `${record.sessionId}.jsonl`), `${JSON.stringify(record)}\n`);
  return join(dir, 'claude');
}

test('a new index and its WAL files are 0600 whatever the umask; an older 0644 one is narrowed', () => {
  const claude = transcript();
  const dbPath = join(dir, 'state', 'sessions.db');
  const umask = process.umask(0o022);
  try {
    indexSessions({ dbPath, sources: { claude: [claude], defaults: false } });
    for (const f of files(dbPath)) expect([f, modeOf(f)]).toEqual([f, 0o600]);
    // an index written before (0644): narrowed at the next read-write open, the text still there
    for (const f of files(dbPath)) chmodSync(f, 0o644);
    indexSessions({ dbPath, sources: { claude: [claude], defaults: false } });
    for (const f of files(dbPath)) expect([f, modeOf(f)]).toEqual([f, 0o600]);
  } finally {
    process.umask(umask);
  }
  const ix = openSessionIndex(dbPath);
  try {
    expect(ix.search('private').hits).toHaveLength(1);
  } finally {
    ix.close();
  }
});
