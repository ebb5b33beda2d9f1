// Colour carries meaning but never alone: every state is also a word. NO_COLOR (https://no-color.org)
// turns colour off entirely.
import type { AgentView } from '../state/fleet.js';

export const colourEnabled = (env: NodeJS.ProcessEnv = process.env): boolean =>
  !('NO_COLOR' in env && env.NO_COLOR !== '') && env.TERM !== 'dumb';

const STATE_COLOURS: Record<AgentView['state'], string | undefined> = {
  running: 'green',
  queued: 'cyan',
  sleeping: 'yellow',
  paused: 'gray',
  failed: 'red',
  idle: undefined,
};

export function stateColour(state: AgentView['state'], colour: boolean): string | undefined {
  return colour ? STATE_COLOURS[state] : undefined;
}

export function statusColour(status: string | undefined, colour: boolean): string | undefined {
  if (!colour || !status) return undefined;
  if (status === 'succeeded') return 'green';
  if (status === 'running') return 'cyan';
  if (status === 'rate-limited' || status === 'cancelled') return 'yellow';
  return 'red';
}
