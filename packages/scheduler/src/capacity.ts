// Is the fleet offering more runs than the daemon can run? The daemon starts at most maxConcurrentRuns at
// once; a run due while that many are going waits in the queue, and an agent whose previous run is still
// queued or running skips its slot (overlap: skip, the default) — recorded in `skipped`. This estimates the
// demand from the schedules and the runs' typical durations so the daemon can say so before it happens: at start
// and on every reload of the agent files.
import { type AgentConfig, nextFireTime } from '@habitat/config';
import type { Store } from './store.js';

export interface CapacityEstimate {
  /** scheduled fires in the coming hour (cron and every; manual agents count none) */
  firesPerHour: number;
  /** run-seconds those fires need, from each agent's median duration (agents with no history not counted) */
  runSecondsPerHour: number;
  /** what the daemon can give: maxConcurrentRuns x 3,600 run-seconds an hour */
  capacitySecondsPerHour: number;
  agentsWithoutHistory: number;
  maxConcurrentRuns: number;
}

const HOUR = 3_600_000;
/** Per agent, at most this many fires are enumerated; a faster schedule's rate is extrapolated. */
const SAMPLE = 20;

function firesInHour(agent: AgentConfig, now: number): number {
  const s = agent.schedule;
  if (s.kind === 'manual') return 0;
  if (s.kind === 'every') return HOUR / s.everyMs;
  let at = new Date(now);
  for (let n = 1; n <= SAMPLE; n++) {
    const next = nextFireTime(s, at);
    if (!next || next.getTime() - now > HOUR) return n - 1;
    at = next;
  }
  return (SAMPLE * HOUR) / Math.max(1, at.getTime() - now);
}

export function estimateCapacity(input: {
  agents: AgentConfig[];
  maxConcurrentRuns: number;
  medianDurationMs: Map<string, number | null>;
  now: number;
}): CapacityEstimate {
  let fires = 0;
  let seconds = 0;
  let withoutHistory = 0;
  for (const agent of input.agents) {
    const f = firesInHour(agent, input.now);
    fires += f;
    const median = input.medianDurationMs.get(agent.name);
    if (median === null || median === undefined) {
      if (f > 0) withoutHistory++;
    } else seconds += (f * median) / 1000;
  }
  return {
    firesPerHour: Math.round(fires),
    runSecondsPerHour: Math.round(seconds),
    capacitySecondsPerHour: input.maxConcurrentRuns * 3600,
    agentsWithoutHistory: withoutHistory,
    maxConcurrentRuns: input.maxConcurrentRuns,
  };
}

/** A warning for people when the schedules ask for more than the daemon can run; undefined when they fit. */
export function capacityWarning(e: CapacityEstimate): string | undefined {
  if (e.runSecondsPerHour <= e.capacitySecondsPerHour) return undefined;
  const load = (e.runSecondsPerHour / e.capacitySecondsPerHour).toFixed(1);
  return (
    `the schedules ask for ${e.runSecondsPerHour.toLocaleString('en-US')} run-seconds an hour (${e.firesPerHour.toLocaleString('en-US')} fires ` +
    `at the agents' median durations), ${load}x what maxConcurrentRuns ${e.maxConcurrentRuns} can run ` +
    `(${e.capacitySecondsPerHour.toLocaleString('en-US')}): runs will wait in the queue and agents still queued or running ` +
    'skip their next slots (see habitat status). Raise maxConcurrentRuns in habitat.yaml or space the schedules out.'
  );
}

/** How many of an agent's newest finished runs its typical duration is taken from. */
const RECENT_RUNS = 20;

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * The estimate for `agents` from the run history in `store`, and its warning when they ask for too much. Each
 * agent's duration is the median of its newest 20 finished runs, read through the (agent, id) index: the daemon
 * checks this on every reload, and the whole-history statistics took 240-420 ms at 100,000 runs.
 */
export function checkCapacity(
  store: Store,
  agents: AgentConfig[],
  maxConcurrentRuns: number,
  now: number,
): { estimate: CapacityEstimate; warning: string | undefined } {
  const medians = new Map(agents.map((a) => [a.name, medianOf(store.recentDurations(a.name, RECENT_RUNS))]));
  const estimate = estimateCapacity({ agents, maxConcurrentRuns, medianDurationMs: medians, now });
  return { estimate, warning: capacityWarning(estimate) };
}
