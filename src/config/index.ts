/** Configuration: the option tables, the one schema and the resolver that turns env + file into one frozen Config. */
export * from './names.js';
export * from './options.js';
export * from './resolve.js';
export * from './rules.js';
export { assignmentOf, type OptionKind, type OptionSpec } from './spec.js';
