/**
 * Bounded principal labels: the first `topN` principals seen twice get their own label, for the life of the
 * process (a counter's label must not change); every other principal is `other`. One-off callers never take a slot.
 */

/** Calls a principal makes before it may take a label slot. */
const CALLS_BEFORE_LABEL = 2;
/** Candidates remembered per slot while slots are free; the oldest is forgotten beyond it. */
const CANDIDATES_PER_SLOT = 8;

export const OTHER_PRINCIPAL = 'other';

export class PrincipalLabels {
  private readonly labelled = new Set<string>();
  private readonly candidates = new Map<string, number>();

  constructor(private readonly topN: number) {}

  /** The label for `principal`: itself once it holds a slot, else `other`. */
  labelFor(principal: string): string {
    if (this.labelled.has(principal)) return principal;
    if (this.labelled.size >= this.topN || principal === OTHER_PRINCIPAL) return OTHER_PRINCIPAL;
    const calls = (this.candidates.get(principal) ?? 0) + 1;
    if (calls >= CALLS_BEFORE_LABEL) {
      this.candidates.delete(principal);
      this.labelled.add(principal);
      if (this.labelled.size >= this.topN) this.candidates.clear();
      return principal;
    }
    this.candidates.set(principal, calls);
    if (this.candidates.size > this.topN * CANDIDATES_PER_SLOT) {
      const oldest = this.candidates.keys().next().value;
      if (oldest !== undefined) this.candidates.delete(oldest);
    }
    return OTHER_PRINCIPAL;
  }

  /** Principals holding a label now. */
  get size(): number {
    return this.labelled.size;
  }
}
