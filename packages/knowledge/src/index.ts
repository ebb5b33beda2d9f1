export { BRIEF_COEFFICIENTS } from './brief-coefficients.js';
export { BRIEF_COEFFICIENTS_DENSE } from './brief-coefficients-dense.js';
export {
  BRIEF_FEATURES,
  type BriefFeature,
  type BriefModel,
  briefFeatures,
  briefProbability,
  type DenseProfile,
  denseProfile,
} from './brief-model.js';
export {
  type AddOutcome,
  addLearning,
  DUPLICATE_THRESHOLD,
  type NewLearning,
  setStatus,
  supersede,
} from './capture.js';
export {
  BRIEF_RULE,
  BRIEF_THRESHOLD,
  type BriefRule,
  buildContext,
  type Context,
  type ContextOptions,
  DENSE_AGREEMENT,
  passagesOf,
} from './context.js';
export {
  buildContextHybrid,
  EmbeddingRetriever,
  type EmbeddingsConfig,
  type HybridResult,
  searchHybrid,
} from './embeddings.js';
export { KnowledgeError, type KnowledgeErrorCode } from './errors.js';
export {
  type Candidate,
  compactTranscript,
  EXTRACTION_PROMPT,
  extractMarkers,
  extractOffline,
  writeTest,
} from './extract.js';
export { extractWithModel, type ModelOptions, parseModelLearnings } from './extract-model.js';
export { type ExtractOptions, type ExtractReport, extractFromSession } from './extract-session.js';
export {
  fileNameFor,
  formatLearning,
  newLearningId,
  parseLearning,
  readLearnings,
  writeLearning,
} from './files.js';
export { readCanonical } from './front-matter.js';
export {
  KNOWLEDGE_DB,
  KnowledgeIndex,
  openKnowledge,
  openKnowledgeIfCurrent,
  type SyncOptions,
  type SyncReport,
} from './index-db.js';
export { createMcpServer, type McpOptions, serveMcp } from './mcp-lazy.js';
export {
  DEFAULT_TUNING,
  fuse,
  matchExpression,
  type Retriever,
  retractedHits,
  type SearchOptions,
  searchKnowledge,
  staleOf,
  type Tuning,
} from './search.js';
export {
  type BriefRecord,
  type KnowledgeStats,
  knowledgeStats,
  type LearningUse,
  recordBrief,
} from './served.js';
export { contradiction, contradicts, estimateTokens, keyTerms, similarity, titleOf } from './text.js';
export type * from './types.js';
