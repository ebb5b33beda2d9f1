// Forks are paced one per turn of the event loop: a timer that comes due while one run forks (the daemon's next
// fire) runs before the next waiting run forks, not after all of them.
import { expect, test } from 'vitest';
import { spawnTurn } from '../src/spawn-turn.js';

/** A fork blocks the loop: stand in for one with a busy wait. */
const fork = (order: string[], name: string) => {
  order.push(name);
  const end = performance.now() + 15;
  while (performance.now() < end);
};

async function burst(): Promise<string[]> {
  const order: string[] = [];
  let fired!: Promise<void>;
  await Promise.all([
    spawnTurn().then(() => {
      // the next fire comes due while the first fork runs
      fired = new Promise((resolve) =>
        setTimeout(() => {
          order.push('fire timer');
          resolve();
        }, 1),
      );
      fork(order, 'fork a');
    }),
    spawnTurn().then(() => fork(order, 'fork b')),
    spawnTurn().then(() => fork(order, 'fork c')),
  ]);
  await fired;
  return order;
}

test('a timer due while a run forks runs before the next waiting run forks', async () => {
  expect(await burst()).toEqual(['fork a', 'fire timer', 'fork b', 'fork c']);
});

test('HABITAT_SPAWN_TURNS=0: the forks run back to back, the timer after all of them', async () => {
  process.env.HABITAT_SPAWN_TURNS = '0';
  try {
    expect(await burst()).toEqual(['fork a', 'fork b', 'fork c', 'fire timer']);
  } finally {
    delete process.env.HABITAT_SPAWN_TURNS;
  }
});
