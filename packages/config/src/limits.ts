// Size limits for config files (own module: the fast config path reads files without loading the YAML parser).

/** An agent file or habitat.yaml larger than this is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** How many aliases a document may expand while being converted (yaml's default guard as well). */
export const MAX_ALIAS_COUNT = 100;
