/** Findings: what critics report in a fixed shape, checked against the target and merged across critics. */
export { type CriticFindings, mergeFindings } from './merge.js';
export { FINDINGS_FENCE, type ParsedAnswer, type ParsedBlock, parseFindings } from './parse.js';
export {
  checkFindings,
  type FindingsOptions,
  type FindingsReport,
  findingsOf,
  type ParsedCriticBlock,
  sanitizeFindings,
} from './report.js';
export {
  changedSince,
  EMPTY_SNAPSHOT,
  type FileStamp,
  SnapshotRecorder,
  type TargetSnapshot,
  takeSnapshot,
} from './snapshot.js';
export { findingsTable } from './table.js';
export * from './types.js';
export {
  type CheckedFinding,
  type FindingsPlace,
  normalise,
  QuoteVerifier,
  type VerifyOptions,
} from './verify.js';
