/** USD per million tokens: input, output, cache write (5 min), cache read. Public list prices. */
const PRICES: Array<[RegExp, [number, number, number, number]]> = [
  [/opus-4-[5-9]|opus-4\.[5-9]/, [5, 25, 6.25, 0.5]],
  [/opus/, [15, 75, 18.75, 1.5]],
  [/haiku-4|haiku-4\.[0-9]/, [1, 5, 1.25, 0.1]],
  [/3-5-haiku|haiku-3-5|3\.5-haiku/, [0.8, 4, 1, 0.08]],
  [/haiku/, [0.25, 1.25, 0.3, 0.03]],
  [/sonnet/, [3, 15, 3.75, 0.3]],
];

/** Cost of one API message for a Claude model, or undefined when the model is not in the table. */
export function costOf(
  model: string,
  u: { input: number; output: number; cacheRead: number; cacheCreation: number },
): number | undefined {
  for (const [pattern, [input, output, write, read]] of PRICES) {
    if (pattern.test(model))
      return (u.input * input + u.output * output + u.cacheCreation * write + u.cacheRead * read) / 1e6;
  }
  return undefined;
}
