/** Options of findings (issue 18): how many a critic may report, and the bounds of checking their quotes. */
import { int, MIB } from './spec.js';

export const FINDINGS_OPTIONS = {
  findingsMaxPerCritic: int(
    'BRUTALIST_FINDINGS_MAX_PER_CRITIC',
    50,
    0,
    1_000,
    "Findings kept from one critic's findings block (in its order); the rest are counted as dropped. 0 keeps none.",
  ),
  findingsMaxFileBytes: int(
    'BRUTALIST_FINDINGS_MAX_FILE_BYTES',
    MIB,
    1024,
    64 * MIB,
    'Bytes of a cited file read to check a quote; a quote past them (or in a binary file) is unverified.',
  ),
  findingsNearLines: int(
    'BRUTALIST_FINDINGS_NEAR_LINES',
    3,
    0,
    1_000,
    'How far (in lines) a quote may be from the cited line and still count as verified (farther: re-anchored); also how close two findings must be to merge.',
  ),
  findingsSnapshotMaxFiles: int(
    'BRUTALIST_FINDINGS_SNAPSHOT_MAX_FILES',
    20_000,
    0,
    1_000_000,
    "Files whose size and mtime are recorded when a run starts, to tell a finding its file changed during the run; files past the bound are not flagged.",
  ),
  findingsTableRows: int(
    'BRUTALIST_FINDINGS_TABLE_ROWS',
    15,
    0,
    500,
    'Rows of the findings table at the top of a critique (all findings are in structuredContent.findings).',
  ),
} as const;
