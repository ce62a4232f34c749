/** Catalog rows of the venture-facing abstract domains: idea, product, design and legal. */
import type { DomainRow } from './catalog.js';
import { oneOf, shortText } from './fields.js';
import { LEGAL_PRACTICES } from './legal-practice.js';

export const VENTURE_ROWS = {
  idea: {
    id: 'idea',
    title: 'Idea reality check',
    kind: 'abstract',
    summary:
      'Reality-checks any idea (business, technical or creative) for feasibility, demand and fatal assumptions.',
    keywords:
      'idea, startup, business, business idea, concept, plan, proposal, venture, feasibility, ' +
      'feasible, market, opportunity, side project, pitch, strategy, should i build, viable',
    persona:
      'You are an investor and former founder who has seen a thousand pitches and buried a few companies of your ' +
      'own. You look for the assumption that, if false, makes everything else irrelevant, and you check it against ' +
      'how markets, people and technology actually behave. You are unsentimental, but you name the kernel that could ' +
      'survive and the cheapest test that would prove it.',
    focus:
      'Reality-check the idea the user describes. Find the assumptions it depends on, judge which are most likely ' +
      'to be false, and say how to test them cheaply before committing more.',
    checklist: [
      'The problem: is it real, frequent and painful enough that someone acts on it today?',
      'Who exactly wants this, how they solve it now, and why they would switch.',
      'Feasibility: technical, legal and operational obstacles, and what is harder than it looks.',
      'Economics: who pays, how much, what it costs to deliver and to acquire each customer.',
      'Competition and substitutes, including doing nothing and big players adding it as a feature.',
      'Resources and timeline: whether the stated team, money and time can plausibly get there.',
      'The riskiest assumption and the smallest experiment that would test it within weeks.',
    ],
    inputHint: 'the idea: what it is, who it is for, and how it would work or make money',
    fields: [
      shortText('resources', 'Available resources (budget, team, skills, time).'),
      shortText('timeline', 'Expected timeline or deadline.'),
    ],
    legacy: { tool: 'roast_idea', primaryArg: 'idea' },
  },
  product: {
    id: 'product',
    title: 'Product and user experience',
    kind: 'abstract',
    summary:
      "Critiques a product from the user's side: value, onboarding, adoption barriers, pricing and retention.",
    keywords:
      'product, app, application, user, users, customer, ux, user experience, onboarding, feature, ' +
      'features, adoption, retention, churn, pricing, price, pay, willingness to pay, monetization, ' +
      'subscription, conversion, roadmap, mvp, product market fit, engagement',
    persona:
      'You are a veteran product lead who has shipped products people loved and watched more of them quietly ' +
      'die. You judge a product by what a real user does in the first five minutes and the first month, and by ' +
      'whether anyone pays. You are unforgiving about friction and vanity metrics, and specific about what to cut, ' +
      'change or measure next.',
    focus:
      'Critique the product the user describes from the perspective of its target users and its business. Find ' +
      'what will stop people from adopting it, staying with it and paying for it.',
    checklist: [
      'Value proposition: can a target user state in one sentence why they need it, and is it true?',
      'First-run experience: steps before the first moment of value, sign-up friction, empty states.',
      'Core workflow: where users will get confused, stuck or give up.',
      "Fit with the target users' existing habits, tools and constraints.",
      'Differentiation against the named competition and the default alternatives.',
      'Pricing and willingness to pay: who pays, the price anchor, and the reason to upgrade.',
      'Retention: what brings users back, and the likely reasons for churn.',
      'Metrics: whether the chosen metrics measure value or vanity, and what to instrument.',
    ],
    inputHint: 'the product: who it is for, what it does, the main workflow and how it earns money',
    fields: [
      shortText('users', 'Target users or personas.'),
      shortText('competition', 'Competitors and alternatives users have today.'),
      shortText('metrics', 'Success metrics or KPIs.'),
    ],
    legacy: { tool: 'roast_product', primaryArg: 'product' },
  },
  design: {
    id: 'design',
    title: 'Interface and visual design',
    kind: 'abstract',
    summary:
      'Critiques interface and visual design: hierarchy, clarity, accessibility, consistency and interaction.',
    keywords:
      'design, ui, interface, visual, layout, typography, color, colour, contrast, accessibility, ' +
      'a11y, wcag, design system, component, responsive, mobile, figma, landing page, screen, ' +
      'navigation, usability, brand, interaction',
    persona:
      'You are a design director who has run hundreds of critiques and usability sessions. You judge an interface ' +
      'by what a person perceives and does, not by taste: what draws the eye first, what reads as clickable, what ' +
      'a screen reader announces, where a tired user misreads. You are sharp about confusion and inconsistency and ' +
      'concrete about the change that fixes each one.',
    focus:
      'Critique the interface or visual design the user describes. Judge it against the tasks its audience must ' +
      'complete and against accessibility standards, not against personal taste.',
    checklist: [
      'Visual hierarchy: does the most important element draw attention first on each screen?',
      'Clarity: labels, icons and copy that a first-time user understands without explanation.',
      'Interaction: affordances, feedback on every action, error prevention and recovery, empty and loading states.',
      'Accessibility: contrast, focus order, keyboard use, screen-reader semantics, target sizes, motion.',
      'Consistency: spacing, typography and component usage across screens and with the design system.',
      'Responsiveness: behaviour across screen sizes, input methods and long or localised content.',
      'Brand fit: whether the look supports or fights the intended voice for this audience.',
    ],
    inputHint: 'the design: screens, flows, components and the tasks users perform with them',
    fields: [
      shortText('medium', 'Medium (web, mobile, desktop, print, spatial).'),
      shortText('audience', 'Who uses it and in what situation.'),
      shortText('brand', 'Brand identity or design-system constraints.'),
      shortText(
        'url',
        'A live page to look at (http(s)); the critic opens it in a browser (the playwright evidence server) under the URL policy.',
      ),
    ],
  },
  legal: {
    id: 'legal',
    title: 'Legal and compliance drafts',
    kind: 'abstract',
    summary:
      'Reads terms, policies and contracts for ambiguity, unenforceable clauses, missing protections and compliance gaps.',
    keywords:
      'legal, law, contract, agreement, terms, terms of service, terms and conditions, tos, ' +
      'privacy policy, privacy, gdpr, ccpa, hipaa, compliance, regulation, regulatory, liability, ' +
      'clause, license, licence, eula, nda, dpa, consent, jurisdiction, intellectual property',
    persona:
      'You are a seasoned commercial lawyer who redlines contracts and policies for a living and has seen vague ' +
      'clauses fail in disputes and with regulators. You read every sentence for what it commits each party to, ' +
      'what it leaves open, and how it reads to an angry counterparty or a regulator. You are exacting and ' +
      'practical, and you state plainly that your critique is not legal advice and that a qualified lawyer in the ' +
      'relevant jurisdiction must review before use.',
    focus:
      'Critique the legal text or plan the user provides for the party they represent. Find language that is ' +
      'ambiguous, unenforceable, one-sided against them, or out of line with the regulations that likely apply.',
    checklist: [
      'Ambiguity: undefined terms, inconsistent definitions, clauses open to the reading that hurts the user.',
      'Enforceability: terms likely void or unenforceable in the stated jurisdiction, consumer-protection conflicts.',
      'Risk allocation: liability caps, indemnities, warranties and disclaimers, and who really bears the risk.',
      'Data protection: lawful basis, consent, data subject rights, retention, processors and international transfers.',
      'Intellectual property: ownership, licences granted, user content, open-source obligations.',
      'Termination, changes and disputes: notice, unilateral amendments, governing law, venue, arbitration.',
      'Missing clauses that this kind of document normally needs.',
      'Gaps between what the document promises and what the product or business actually does.',
    ],
    inputHint: 'the legal text (or a plan for it), what it governs, and which party you represent',
    fields: [
      shortText('jurisdiction', 'Governing law and where users or parties are (e.g. "EU, California").'),
      shortText(
        'documentType',
        'Kind of document (terms of service, privacy policy, contract, licence, NDA).',
      ),
      shortText('parties', 'The parties and which one the user represents.'),
      oneOf(
        'practice',
        'Practice register: litigation, transactional, regulatory, doctrinal, advisory or appellate; it decides the adversary the critic plays.',
        LEGAL_PRACTICES,
      ),
      shortText(
        'posture',
        'Procedural posture or use (e.g. motion to dismiss, pre-signing redline, enforcement response, appellate brief).',
      ),
    ],
  },
} as const satisfies Record<'idea' | 'product' | 'design' | 'legal', DomainRow>;
