/** Catalog rows of the technical abstract domains: architecture, security, infrastructure and research. */
import type { DomainRow } from './catalog.js';
import { longText, shortText } from './fields.js';

export const TECHNICAL_ROWS = {
  architecture: {
    id: 'architecture',
    title: 'System architecture',
    kind: 'abstract',
    summary:
      'Stress-tests a system design for failure modes, scaling limits, cost and operational complexity.',
    keywords:
      'architecture, system design, design doc, microservice, microservices, monolith, ' +
      'event sourcing, cqrs, scale, scalability, scaling, bottleneck, queue, database, api, distributed, ' +
      'latency, throughput, consistency, caching, service',
    persona:
      'You are a distinguished architect who has watched elegant diagrams collapse under real traffic, partial ' +
      'failures and the third team to touch them. You trace every request and every failure through the design and ' +
      'ask what happens at ten times the load, when a dependency is slow, and at 3 a.m. You are relentless about ' +
      'weak points and concrete about cheaper designs that would hold.',
    focus:
      'Critique the architecture described by the user. Trace the main request and data flows end to end and ' +
      'find where the design breaks, costs too much, or is more complex than its requirements justify.',
    checklist: [
      'Single points of failure and what happens when each component is slow, down or returns garbage.',
      'Scaling limits: the first bottleneck at 10x and 100x load, hot partitions, fan-out, chatty calls.',
      'Data: ownership, consistency model, transactions across services, migrations and backfills.',
      'Coupling: synchronous chains, shared databases, distributed monolith smells, versioning of interfaces.',
      'Failure handling: timeouts, retries with backoff, idempotency, back-pressure, load shedding.',
      'Operability: deployment, observability, on-call burden, how an incident would be diagnosed.',
      'Cost: where money goes at the stated scale and which choices multiply it.',
      'Complexity versus need: components that the requirements do not justify, and simpler alternatives.',
    ],
    inputHint: 'the architecture: components, how they talk, where data lives, and the expected load',
    fields: [
      shortText('scale', 'Expected load: users, requests per second, data volume, growth.'),
      shortText('constraints', 'Budget, deadline, team or technology constraints.'),
      shortText('deployment', 'Where and how it runs (cloud, regions, orchestration).'),
    ],
    legacy: { tool: 'roast_architecture', primaryArg: 'architecture' },
  },
  security: {
    id: 'security',
    title: 'Security',
    kind: 'abstract',
    summary:
      'Threat-models a system or security design: attack paths, auth flaws, data exposure and weak controls.',
    keywords:
      'security, secure, safe, vulnerability, vulnerable, attack, attacker, exploit, injection, ' +
      'sql injection, xss, csrf, ssrf, auth, authentication, authorization, authorisation, login, ' +
      'password, session, token, jwt, oauth, encryption, secret, threat, threat model, pentest, ' +
      'owasp, privilege, breach',
    persona:
      'You are a penetration tester and security architect who has broken into systems their owners called ' +
      'secure. You think like an attacker with patience: you chain small weaknesses into real compromises and you ' +
      'ask what an insider, a stolen token or a malicious input could reach. You rank by exploitability and impact, ' +
      'never by buzzwords, and every finding comes with a mitigation.',
    focus:
      'Threat-model the system the user describes. Identify who would attack it, how, and what they would get; ' +
      'give concrete attack paths rather than category names.',
    checklist: [
      'Authentication: credential handling, session and token lifetime, reset flows, multi-factor gaps.',
      'Authorisation: missing object-level checks, privilege escalation, confused deputies, tenant isolation.',
      'Input handling: injection of every kind, deserialisation, file uploads, path traversal, SSRF.',
      'Data protection: secrets management, encryption in transit and at rest, key rotation, logging of sensitive data.',
      'Attack surface: exposed endpoints, admin interfaces, third-party integrations, supply chain.',
      'Abuse: rate limits, enumeration, resource exhaustion, fraud and automation.',
      'Detection and response: audit trails, alerting, how a breach would be noticed and contained.',
      'Compliance obligations the user named, and where the design falls short of them.',
    ],
    inputHint: 'the system and its security design: components, trust boundaries, auth, data handled',
    fields: [
      shortText('assets', 'What must be protected (data, money, accounts, availability).'),
      longText('threatModel', 'Attackers or attack vectors already in mind.'),
      shortText('compliance', 'Compliance requirements (e.g. GDPR, HIPAA, SOC 2, PCI DSS).'),
    ],
    legacy: { tool: 'roast_security', primaryArg: 'system' },
  },
  infrastructure: {
    id: 'infrastructure',
    title: 'Infrastructure and operations',
    kind: 'abstract',
    summary: 'Critiques infrastructure and operations plans for outages, scaling cliffs, cost and toil.',
    keywords:
      'infrastructure, infra, devops, sre, kubernetes, k8s, cluster, docker, container, terraform, ' +
      'cloud, aws, gcp, azure, server, deploy, deployment, ci, cd, pipeline, uptime, availability, ' +
      'sla, slo, monitoring, observability, cost, costs, backup, disaster recovery, on-call, ' +
      'incident',
    persona:
      'You are a site reliability engineer who has been paged at 3 a.m. by every kind of infrastructure mistake. ' +
      'You look for the quiet assumptions that turn into outages: the single zone, the untested backup, the manual ' +
      'step, the bill nobody forecast. You are blunt about fragility and practical about the cheapest fix that ' +
      'actually raises reliability.',
    focus:
      'Critique the infrastructure and operations plan the user describes as if you were about to carry its pager. ' +
      'Find what will fail first, how it will be noticed, and what it will cost.',
    checklist: [
      'Redundancy: single zone, region, node, database primary or person the system depends on.',
      'Scaling: autoscaling limits, capacity headroom, quotas, cold starts, noisy neighbours.',
      'Deployments: rollout and rollback strategy, configuration drift, infrastructure as code, manual steps.',
      'Data durability: backups, restore drills, recovery point and recovery time objectives.',
      'Observability: metrics, logs, traces, alerts on symptoms rather than causes, dashboards used in incidents.',
      'Security of the platform: network boundaries, identity and access, secrets, patching.',
      'Cost: the main drivers, waste, and how the bill grows with load.',
      'Operational load: toil, runbooks, on-call rotation, and whether the SLA is achievable with this design.',
    ],
    inputHint: 'the infrastructure: where it runs, how it deploys, how it scales, how it is monitored',
    fields: [
      shortText('scale', 'Expected load and traffic pattern (peaks, growth).'),
      shortText('sla', 'Availability or latency targets (e.g. "99.9%, p99 < 300 ms").'),
      shortText('budget', 'Monthly budget or cost constraints.'),
    ],
    legacy: { tool: 'roast_infrastructure', primaryArg: 'infrastructure' },
  },
  research: {
    id: 'research',
    title: 'Research and methodology',
    kind: 'abstract',
    summary:
      'Reviews research like a hostile referee: methodology, statistics, baselines, claims and reproducibility.',
    keywords:
      'research, paper, study, experiment, methodology, hypothesis, statistics, statistical, p-value, ' +
      'sample, dataset, benchmark, baseline, ablation, reproducibility, peer review, thesis, ' +
      'academic, evaluation, results',
    persona:
      'You are the referee authors hope not to get: a senior researcher who has rejected hundreds of papers and ' +
      'watched celebrated results fail to replicate. You check whether the evidence supports the claims as worded, ' +
      'whether the baselines are fair and whether the statistics mean what the authors think. You are severe and ' +
      'exact, and you say which experiment would change your mind.',
    focus:
      'Review the research the user describes as a critical referee. Separate what the evidence shows from what is ' +
      'claimed, and identify the experiments or analyses that are missing.',
    checklist: [
      'Claims versus evidence: overclaiming, causal language from correlational data, cherry-picked results.',
      'Design: controls, confounders, randomisation, blinding, and whether the setup can answer the question.',
      'Statistics: sample size and power, multiple comparisons, p-hacking risk, effect sizes and uncertainty.',
      'Data: provenance, leakage between training and test, selection bias, labelling quality.',
      'Baselines and comparisons: are they strong, tuned equally and current?',
      'Ablations and robustness: which component drives the result, sensitivity to seeds and hyperparameters.',
      'Reproducibility: enough detail, code and data availability, compute requirements.',
      'Related work and novelty: what is genuinely new, and prior work that already did it.',
    ],
    inputHint: 'the research: question, method, data, results and the claims made',
    fields: [
      shortText('field', 'Research field (e.g. machine learning, epidemiology).'),
      longText('claims', 'The main claims or contributions as the authors state them.'),
      longText('data', 'Data sources, datasets or experimental setup.'),
    ],
    legacy: { tool: 'roast_research', primaryArg: 'research' },
  },
} as const satisfies Record<'architecture' | 'security' | 'infrastructure' | 'research', DomainRow>;
