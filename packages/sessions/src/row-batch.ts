import type { DB } from './store.js';

/**
 * Rows for one INSERT collected and written with as few statements as fit: one statement of 64 rows is one N-API
 * crossing and one bind call instead of 64 (bench/insert-rows.ts: −11% CPU for the 212k event rows of the 256 MB
 * corpus in isolation; −20% for the events INSERT in a real cold build). The rest go 8 and then 1 at a time.
 * Whoever reads the table must `flush()` first: pending rows are not in it yet.
 */
export class RowBatch {
  private readonly stmts: ReturnType<DB['prepare']>[];
  private pending: unknown[] = [];

  /** `insert` ends in `VALUES`; `columns` is the number of values a row has */
  constructor(
    db: DB,
    insert: string,
    private readonly columns: number,
  ) {
    const row = `(${Array(columns).fill('?').join(', ')})`;
    this.stmts = ROWS.map((n) => db.prepare(`${insert} ${Array(n).fill(row).join(', ')}`));
  }

  /** Add one row's values (exactly `columns` of them). */
  push(...values: unknown[]): void {
    for (const v of values) this.pending.push(v);
  }

  flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    let at = 0;
    for (const [i, rows] of ROWS.entries()) {
      const width = rows * this.columns;
      const stmt = this.stmts[i] as ReturnType<DB['prepare']>;
      for (; pending.length - at >= width; at += width) stmt.run(pending.slice(at, at + width));
    }
    this.pending = [];
  }
}

/** rows per statement, largest first (64 × 16 values stays far below SQLite's 32,766 parameters) */
const ROWS = [64, 8, 1];
