/**
 * USD per million tokens: input, output, cache write (5 min), cache read. Public list prices. A 1-hour cache write
 * costs twice the input price (Anthropic's list, and LiteLLM's `cache_creation_input_token_cost_above_1hr`, which
 * ccusage 20 prices `ephemeral_1h_input_tokens` at).
 */
const PRICES: Array<[RegExp, [number, number, number, number]]> = [
  [/opus-4-[5-9]|opus-4\.[5-9]/, [5, 25, 6.25, 0.5]],
  [/opus/, [15, 75, 18.75, 1.5]],
  [/haiku-4|haiku-4\.[0-9]/, [1, 5, 1.25, 0.1]],
  [/3-5-haiku|haiku-3-5|3\.5-haiku/, [0.8, 4, 1, 0.08]],
  [/haiku/, [0.25, 1.25, 0.3, 0.03]],
  [/sonnet/, [3, 15, 3.75, 0.3]],
];

/**
 * Cost of one API message for a Claude model, or undefined when the model is not in the table. `cacheCreation`
 * counts every cache write; `cacheCreation1h` is the part of it written for an hour (the rest is 5-minute).
 */
export function costOf(
  model: string,
  u: { input: number; output: number; cacheRead: number; cacheCreation: number; cacheCreation1h?: number },
): number | undefined {
  for (const [pattern, [input, output, write, read]] of PRICES) {
    if (!pattern.test(model)) continue;
    const hour = Math.min(u.cacheCreation1h ?? 0, u.cacheCreation);
    return (
      (u.input * input +
        u.output * output +
        (u.cacheCreation - hour) * write +
        hour * 2 * input +
        u.cacheRead * read) /
      1e6
    );
  }
  return undefined;
}
