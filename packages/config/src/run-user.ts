// Which user an agent's run will be: its `isolation.user`, or by default the habitat repo's owner in a
// container (so the files it writes stay the repo owner's, and it can write a repo another user created)
// and the coordinator's own user on the host.
import { statSync } from 'node:fs';
import type { AgentConfig } from './types.js';

export interface RunUser {
  /** `uid:gid`, or a user name from `isolation.user` */
  user: string;
  uid?: number;
  gid?: number;
  /** where it comes from, for messages */
  source: 'isolation.user' | 'repo owner' | 'coordinator';
}

/** The user an agent runs as on its backend (container backends: `uid:gid` the engine can use as is). */
export function runUserOf(agent: Pick<AgentConfig, 'isolation' | 'repo'>): RunUser {
  const explicit = agent.isolation.user;
  if (explicit) {
    const m = /^(\d+)(?::(\d+))?$/.exec(explicit);
    return {
      user: explicit,
      ...(m
        ? { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) }
        : explicit === 'root'
          ? { uid: 0, gid: 0 }
          : {}),
      source: 'isolation.user',
    };
  }
  const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  if (agent.isolation.backend === 'local')
    return { user: `${self.uid}:${self.gid}`, ...self, source: 'coordinator' };
  try {
    const st = statSync(agent.repo.path);
    return { user: `${st.uid}:${st.gid}`, uid: st.uid, gid: st.gid, source: 'repo owner' };
  } catch {
    // A git repo not cloned yet: the coordinator will clone it, so it will be the coordinator's.
    return { user: `${self.uid}:${self.gid}`, ...self, source: 'repo owner' };
  }
}
