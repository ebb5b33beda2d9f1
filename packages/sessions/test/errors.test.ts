import { HabitatError, isHabitatError } from '@habitat/config';
import { expect, test } from 'vitest';
import { SessionsError } from '../src/errors.js';

test('a SessionsError is a HabitatError of the main @habitat/config entry (the light core entry shares its classes)', () => {
  const error = new SessionsError('busy', 'another index pass is running');
  expect(error).toBeInstanceOf(HabitatError);
  expect(isHabitatError(error)).toBe(true);
  expect(error.code).toBe('busy');
});
