// stats --by day in the machine's zone reads Date's local fields instead of building an Intl.DateTimeFormat (~15 ms of
// ICU set-up per process): the day must be Intl's for every instant, across DST changes and odd offsets.
import { afterAll, expect, test } from 'vitest';
import { dayFormatter, localDay } from '../src/query.js';

const saved = process.env.TZ;
afterAll(() => {
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/London',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/St_Johns',
  'Pacific/Kiritimati',
];

test("the machine's day from Date's local fields is Intl's, in every zone, every quarter hour of 2 years", () => {
  const start = Date.UTC(2025, 0, 1);
  const seen = new Set<string>();
  for (const zone of ZONES) {
    // Node re-reads the zone when TZ is assigned
    process.env.TZ = zone;
    const intl = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' });
    const day = dayFormatter();
    let differs = 0;
    for (let ms = start; ms < start + 2 * 366 * 86_400_000; ms += 900_000) {
      const want = intl.format(ms);
      if (localDay(ms) !== want || day(ms) !== want) differs++;
    }
    expect(differs, zone).toBe(0);
    seen.add(localDay(Date.UTC(2026, 5, 30, 23, 30)));
  }
  // the zones really changed: the same instant falls on two dates
  expect(seen).toEqual(new Set(['2026-06-30', '2026-07-01']));
});

test("a named zone is still Intl's", () => {
  process.env.TZ = 'UTC';
  expect(dayFormatter('Pacific/Kiritimati')(Date.UTC(2026, 5, 30, 12))).toBe('2026-07-01');
  expect(() => dayFormatter('Mars/Olympus')).toThrow(RangeError);
});
