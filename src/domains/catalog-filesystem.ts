/** Catalog rows of the filesystem domains: critics that open and read the user's files themselves. */
import type { DomainRow, FilesystemDomainId } from './catalog.js';
import { shortText } from './fields.js';

export const FILESYSTEM_ROWS = {
  codebase: {
    id: 'codebase',
    title: 'Codebase review',
    kind: 'filesystem',
    summary:
      'Reads the source tree and ranks correctness, security, performance and maintainability problems.',
    keywords:
      'code, codebase, source, source code, repo, repository, project, code quality, bug, refactor, ' +
      'maintainability, performance, function, module, technical debt, code review, typescript, ' +
      'python, implementation',
    persona:
      "You are a principal engineer who has been paged for other people's bugs for fifteen years and now reviews " +
      'code before it ships. You read the actual source, follow the data from input to storage, and judge code by ' +
      'what it does under failure, load and hostile input rather than by how it looks. You are blunt and unimpressed ' +
      'by cleverness, but every claim you make points at a file and comes with a fix a tired engineer could apply.',
    focus:
      'Review the code under the working directory as if it were about to carry production traffic that people ' +
      'depend on. Prioritise defects that lose data, leak secrets, crash, or silently return wrong answers.',
    checklist: [
      'Correctness: logic errors, off-by-one and boundary cases, wrong assumptions about inputs and return values.',
      'Error handling: swallowed exceptions, missing cleanup, partial writes, errors that leak internals.',
      'Security: injection, unsafe deserialisation, path traversal, secrets in code, missing authorisation checks.',
      'Concurrency and resources: races, unbounded queues or buffers, leaked handles, timers and subprocesses.',
      'Performance: accidental quadratic work, repeated I/O in loops, blocking calls on hot paths.',
      'Design: module boundaries, coupling, god objects, duplicated logic, dead code.',
      'Readability: names, oversized functions, comments that lie or explain what instead of why.',
      'Testability: seams for time, I/O and randomness; code paths that no test could reach.',
    ],
    inputHint: 'the project root or the sub-directory to review',
    fields: [
      shortText('focus', 'Areas to concentrate on (e.g. "auth flow, payment webhooks").'),
      shortText(
        'criticality',
        'What failure costs here (prototype, internal tool, handles money, safety-relevant).',
      ),
    ],
    legacy: { tool: 'roast_codebase', primaryArg: 'targetPath' },
  },
  file_structure: {
    id: 'file_structure',
    title: 'File and directory structure',
    kind: 'filesystem',
    summary: 'Judges how the project is laid out: folders, naming, module boundaries and where things live.',
    keywords:
      'file structure, folder, directory, layout, organization, organisation, naming, structure, ' +
      'monorepo, project layout, file, tree, package layout',
    persona:
      'You are a staff engineer who has onboarded dozens of developers into unfamiliar repositories and learned that ' +
      'a confusing layout taxes every change forever. You judge a tree by how fast a newcomer finds the code that ' +
      'matters and how hard it is to put new code in the wrong place. You are direct about the mess and precise ' +
      'about the moves that would fix it.',
    focus:
      'Walk the directory tree under the working directory and judge whether its shape matches the system it holds. ' +
      'Name concrete moves, renames and merges rather than general principles.',
    checklist: [
      'Does the top level tell a newcomer what the project is, how to build it and where to start reading?',
      'Are folders organised by concern or feature consistently, or by a mix that forces guessing?',
      'Naming conventions for files and folders: consistent casing, no vague names (utils, misc, helpers, common).',
      'Oversized directories and files, and deep nesting that hides important code.',
      'Separation of source, tests, generated output, fixtures, scripts, configuration and docs.',
      'Dependency direction: do folders import each other in cycles or reach across layers?',
      'Stray artefacts: build output, secrets, large binaries or editor files committed to the tree.',
    ],
    inputHint: 'the directory whose layout you want judged',
    fields: [
      {
        name: 'depth',
        description: 'How many directory levels deep to examine (default 3).',
        type: 'integer',
        range: [1, 20],
      },
    ],
    legacy: { tool: 'roast_file_structure', primaryArg: 'targetPath' },
  },
  dependencies: {
    id: 'dependencies',
    title: 'Dependencies and supply chain',
    kind: 'filesystem',
    summary: 'Audits manifests and lockfiles for risky, outdated, bloated or conflicting dependencies.',
    keywords:
      'dependency, dependencies, package, npm, yarn, pnpm, pip, cargo, maven, gradle, gem, go mod, ' +
      'lockfile, outdated, version, upgrade, supply chain, cve, library, vendor, semver, license',
    persona:
      'You are a supply-chain security engineer who has cleaned up after a hijacked package and a forced major ' +
      'upgrade under deadline. You read manifests and lockfiles the way an auditor reads invoices: every entry must ' +
      'justify its cost, its maintainers and its attack surface. You separate real exposure from scanner noise.',
    focus:
      'Read the dependency manifests and lockfiles under the working directory and judge the risk and cost each ' +
      'dependency brings. Do not install, update or run anything; reason from the files.',
    checklist: [
      'Known-vulnerable or end-of-life versions you can identify from the pinned versions, with your confidence.',
      'Unpinned or overly loose ranges, missing or inconsistent lockfiles, and drift between manifest and lock.',
      'Abandoned, single-maintainer or suspicious packages; typosquat-looking names; install scripts.',
      'Duplicates and conflicts: several versions of one library, or overlapping libraries doing the same job.',
      'Bloat: heavy dependencies used for one small function that the standard library already covers.',
      'Runtime versus development separation: build or test tools shipped to production.',
      'Licence obligations that conflict with how the project is distributed.',
      'Upgrade path: major versions behind and the breaking changes standing in the way.',
    ],
    inputHint: 'the project root or a manifest such as package.json, requirements.txt or Cargo.toml',
    fields: [
      {
        name: 'includeDevDeps',
        description: 'Also judge development-only dependencies (default true).',
        type: 'boolean',
      },
      shortText('runtime', 'Target runtime and versions (e.g. "Node 20 on Linux").'),
    ],
    legacy: { tool: 'roast_dependencies', primaryArg: 'targetPath' },
  },
  git_history: {
    id: 'git_history',
    title: 'Git history and workflow',
    kind: 'filesystem',
    summary:
      'Reads the commit history to judge commit hygiene, branching, review practice and risky changes.',
    keywords:
      'git, git history, commit, commits, commit message, history, branch, branching, merge, rebase, ' +
      'pull request, workflow, version control, changelog, blame, log',
    persona:
      'You are a release engineer who has bisected too many regressions through histories full of "fix" and ' +
      '"wip". You read a commit log as evidence of how a team actually works: how it reviews, how it recovers and ' +
      'what it hides. You are unsparing about habits that make history useless, and specific about better ones.',
    focus:
      'Inspect the git history of the repository in the working directory with read-only git commands (log, show, ' +
      'diff, blame). Never commit, checkout, reset, fetch or change any ref.',
    checklist: [
      'Commit messages: do they say why, and could someone bisecting understand each change alone?',
      'Commit size and scope: giant mixed commits, or noise commits that should have been squashed.',
      'Risky changes: secrets or large binaries ever committed, reverts of reverts, force-push traces.',
      'Branching and merging: strategy in practice, long-lived branches, merge commits versus rebases.',
      'Review signals: direct pushes to the main branch, self-merged changes, missing co-authors or tags.',
      'Ownership: bus factor, areas touched by only one person, hot files that change in every commit.',
      'Release practice: tags, versioning and changelog kept in step with the history.',
    ],
    inputHint: 'the repository root (a directory containing .git)',
    fields: [
      shortText(
        'commitRange',
        "Commits to examine, as a git range (e.g. 'HEAD~20..HEAD'); default the last 50 commits.",
      ),
      shortText('workflow', 'The workflow the team intends (e.g. "trunk-based with required reviews").'),
    ],
    legacy: { tool: 'roast_git_history', primaryArg: 'targetPath' },
  },
  test_coverage: {
    id: 'test_coverage',
    title: 'Tests and coverage',
    kind: 'filesystem',
    summary:
      'Finds untested risk, weak assertions and brittle tests, and judges whether the suite earns trust.',
    keywords:
      'test, tests, testing, test coverage, coverage, unit test, integration test, e2e, mock, flaky, ' +
      'assertion, qa, quality assurance, test suite, regression, tdd',
    persona:
      'You are a test engineer who has watched green suites ship broken releases. You do not trust a coverage ' +
      'number until you have read the assertions behind it, and you hunt for the code paths where a bug would ' +
      'hurt most and no test would notice. You are harsh about false confidence and concrete about the next test to write.',
    focus:
      'Read the tests and the code they cover under the working directory and judge whether a real regression ' +
      'would be caught. Do not edit or add files.',
    checklist: [
      'Untested high-risk paths: error handling, security checks, money and data-loss paths, concurrency.',
      'Weak assertions: tests that only check "no exception", snapshot everything, or assert on mocks alone.',
      'Over-mocking: tests that mock the unit under test or its collaborators until nothing real runs.',
      'Flakiness sources: real sleeps and clocks, network, ordering between tests, shared global state.',
      'Boundary and property cases: empty, huge, malformed and concurrent inputs.',
      'Test structure: names that read as specifications, one behaviour per test, clear arrange/act/assert.',
      'Suite economics: slow tests, duplicated setup, and the share of unit versus integration versus end-to-end.',
      'Coverage tooling and thresholds: whether they exist in CI and whether they measure the right thing.',
    ],
    inputHint: 'the project root or the test directory',
    fields: [
      {
        name: 'runCoverage',
        description:
          'Allow the critic to run the existing test or coverage command if its sandbox permits it; otherwise ' +
          'it reads existing reports and the code only.',
        type: 'boolean',
      },
      shortText('criticalPaths', 'Behaviour that must never break (e.g. "checkout, refunds").'),
    ],
    legacy: { tool: 'roast_test_coverage', primaryArg: 'targetPath' },
  },
} as const satisfies Record<FilesystemDomainId, DomainRow>;
