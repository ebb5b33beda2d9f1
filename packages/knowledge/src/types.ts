/** Where a learning applies. */
export type Scope = { kind: 'org' } | { kind: 'project'; name: string } | { kind: 'agent'; name: string };

export type LearningStatus = 'active' | 'pending' | 'superseded' | 'retracted';

/** Where a learning came from; a learning found again gains another entry. */
export interface Provenance {
  /** `explicit` (LEARNED: line, habitat learn), `person` (knowledge add), `extracted` (model), `heuristic` */
  source: 'explicit' | 'person' | 'extracted' | 'heuristic' | 'mcp';
  sessionId?: string;
  eventIds?: number[];
  agent?: string;
  runId?: string;
  /** a change of status recorded with who and when (a retraction stays visible in the file and in `show`) */
  action?: 'retracted' | 'accepted' | 'superseded';
  /** why (a retraction's reason: shown wherever the retracted learning still comes up) */
  reason?: string;
  /** ISO time */
  time: string;
  /** how many secrets were redacted from what was written */
  redactions?: number;
}

/** A lesson, kept as a markdown file with front matter in the coordinator's `knowledge/` directory. */
export interface Learning {
  /** short, stable: `k-` + 8 base32 chars */
  id: string;
  title: string;
  /** a few concrete sentences: the fact, when it applies, how it was found */
  body: string;
  tags: string[];
  scope: Scope;
  status: LearningStatus;
  /** 0..1; rises as the learning is found again */
  confidence: number;
  provenance: Provenance[];
  /** ids this one replaces */
  supersedes: string[];
  /** ids this one contradicts: flagged for review */
  conflictsWith: string[];
  created: string;
  updated: string;
  /** ISO date after which the learning no longer holds (it is then served, if at all, marked stale) */
  validUntil?: string;
  /** absolute path of its file (set when read) */
  file?: string;
}

/** A search hit. */
export interface KnowledgeHit {
  learning: Learning;
  /** the ranking score (BM25 re-ranked by coverage, confidence, scope and freshness; RRF when fused) */
  score: number;
  /**
   * Absolute evidence that the learning is about the query, 0..1: the share of the query's information
   * (IDF mass of its key terms) the learning covers. Comparable across queries; the brief's cut uses it.
   */
  evidence: number;
  /** how many of the query's key terms the learning contains */
  matched?: number;
  /** the share of the query's IDF mass the title alone covers */
  titleEvidence?: number;
  /** the share of the query's IDF mass in terms no learning contains (the same for every hit of a query) */
  unknownShare?: number;
  /** title/body excerpt with matched terms marked */
  snippet: string;
  /**
   * why the hit is stale: a newer learning contradicts it (`newer`), it is past its `validUntil` (`expired`), or
   * (briefs only) a newer learning of its scope is about the same subject (`older`: to be checked)
   */
  stale?: { by?: string; since: string; reason: 'newer' | 'expired' | 'older' };
  /** the hit's scope relative to the asker: its own project/agent, org-wide, or another project/agent */
  scopeMatch: 'agent' | 'project' | 'org' | 'other';
}
