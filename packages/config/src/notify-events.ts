/**
 * What a notify target can be sent: the one list the schema validates `on:` against and a target without
 * `on:` gets.
 */
export const NOTIFY_EVENTS = [
  'failed',
  'rate-limited',
  'recovered',
  'lost',
  'timed-out',
  'needs-attention',
  /** the daemon cannot record (its state's disk is full): no run starts until there is space */
  'disk-full',
  /** space is back after `disk-full`: runs start again */
  'disk-recovered',
] as const;
