/** Configuration: the option table and the resolver that turns env + file into one frozen Config. */
export * from './options.js';
export * from './resolve.js';
