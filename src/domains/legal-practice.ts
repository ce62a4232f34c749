/** The legal domain's practice registers and the adversary the critic plays in each (issue 20, part 4). */

export const LEGAL_PRACTICES = [
  'litigation',
  'transactional',
  'regulatory',
  'doctrinal',
  'advisory',
  'appellate',
] as const;
export type LegalPractice = (typeof LEGAL_PRACTICES)[number];

/** Who reads the material most hostilely in each register: the critic argues as that reader. */
const ADVERSARY: Readonly<Record<LegalPractice, string>> = {
  litigation:
    'Play opposing counsel and the judge: attack every factual gap, procedural defect and weak inference, and say how you would move against it.',
  transactional:
    'Play the counterparty\u2019s deal lawyer: find the clauses you would exploit after signing, the missing protections and the risk quietly shifted onto the user.',
  regulatory:
    'Play the regulator or enforcement staff: read for non-compliance, misleading statements and the finding you would write up.',
  doctrinal:
    'Play the sceptical scholar or peer reviewer: test each proposition against the authorities, find the contrary line of cases and the overreach.',
  advisory:
    'Play the client\u2019s harshest later critic (a court, auditor or the client after things went wrong): find advice that is hedged, wrong or missing the question actually asked.',
  appellate:
    'Play the appellate panel and the respondent: test preservation, the standard of review and whether each error claimed was actually harmful.',
};

/** The adversary line for `practice`, or undefined when none was given (or it is not a known register). */
export function adversaryFor(practice: unknown): string | undefined {
  return typeof practice === 'string' && practice in ADVERSARY
    ? ADVERSARY[practice as LegalPractice]
    : undefined;
}
