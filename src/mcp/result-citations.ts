/** The `citations` fragment of the result schema: the citation report of legal, research and security results. */
import { citationReportSchema } from '../engine/citations.js';

export const citationsFragment = {
  citations: citationReportSchema
    .optional()
    .describe(
      'legal, research, security: citation tags counted (verified/supplied/unverified/untagged), per critic and in all; with config citationRecheck, the VERIFIED ones re-fetched and the unconfirmed listed.',
    ),
};
