/**
 * USD per million tokens: input, output, cache write (5 min), cache read, and for the models that have them the
 * long-context prices of the tokens past 200k (LiteLLM's `*_above_200k_tokens`, which ccusage 20 prices with).
 * Public list prices. A 1-hour cache write costs twice the input price (Anthropic's list, and LiteLLM's
 * `cache_creation_input_token_cost_above_1hr`, which ccusage 20 prices `ephemeral_1h_input_tokens` at).
 */
type Rates = [input: number, output: number, write: number, read: number];

const PRICES: Array<[RegExp, Rates, above200k?: Rates]> = [
  [/opus-4-[5-9]|opus-4\.[5-9]/, [5, 25, 6.25, 0.5]],
  [/opus/, [15, 75, 18.75, 1.5]],
  [/haiku-4|haiku-4\.[0-9]/, [1, 5, 1.25, 0.1]],
  [/3-5-haiku|haiku-3-5|3\.5-haiku/, [0.8, 4, 1, 0.08]],
  [/haiku/, [0.25, 1.25, 0.3, 0.03]],
  // Sonnet 4.6 has no long-context price in ccusage 20.0.24's table; Sonnet 4 and 4.5 do
  [/sonnet-4-[6-9]|sonnet-4\.[6-9]/, [3, 15, 3.75, 0.3]],
  [/sonnet-4/, [3, 15, 3.75, 0.3], [6, 22.5, 7.5, 0.6]],
  [/sonnet/, [3, 15, 3.75, 0.3]],
];

const THRESHOLD = 200_000;

/**
 * Tokens of one kind in one message: the first 200k at `base`, the rest at `above`. ccusage 20 applies the
 * threshold this way (ryoppippi/ccusage, Rust `tiered_cost`, called from `calculate_cost_from_tokens` and
 * `cache_creation_cost`): per message, and to each token kind on its own count — input, output, cache read,
 * 5-minute and 1-hour cache writes apart — not to the message's whole context. Checked against ccusage 20.0.24
 * run offline in `test/cost-tiers.test.ts`.
 */
function tiered(tokens: number, base: number, above: number | undefined): number {
  if (above === undefined || tokens <= THRESHOLD) return tokens * base;
  return THRESHOLD * base + (tokens - THRESHOLD) * above;
}

/**
 * Cost of one API message for a Claude model, or undefined when the model is not in the table. `cacheCreation`
 * counts every cache write; `cacheCreation1h` is the part of it written for an hour (the rest is 5-minute).
 */
export function costOf(
  model: string,
  u: { input: number; output: number; cacheRead: number; cacheCreation: number; cacheCreation1h?: number },
): number | undefined {
  for (const [pattern, [input, output, write, read], above] of PRICES) {
    if (!pattern.test(model)) continue;
    const hour = Math.min(u.cacheCreation1h ?? 0, u.cacheCreation);
    return (
      (tiered(u.input, input, above?.[0]) +
        tiered(u.output, output, above?.[1]) +
        tiered(u.cacheCreation - hour, write, above?.[2]) +
        tiered(hour, 2 * input, above && 2 * above[0]) +
        tiered(u.cacheRead, read, above?.[3])) /
      1e6
    );
  }
  return undefined;
}
