/**
 * Rules between options, checked at resolve time once each option is valid on its own: a value the operator set
 * that breaks one is refused (CONFIG_INVALID naming the option, the bound and the value), never clamped.
 */
import { BrutalistError } from '../errors/index.js';
import type { Config, OptionName } from './options.js';

/** An option whose value is a number. */
export type NumberOption = { [K in OptionName]: Config[K] extends number ? K : never }[OptionName];

/** `option` must be `is` `limit` (the value of another option). */
export interface OrderRule {
  readonly option: NumberOption;
  readonly is: 'at most' | 'at least';
  readonly limit: NumberOption;
}

/**
 * When the operator sets `limit` but leaves `option` at its default, the default follows `limit` (the documented
 * default is a ceiling or floor, not a value to refuse); a value the operator set is refused.
 */
export const ORDER_RULES: readonly OrderRule[] = [
  { option: 'maxConcurrentPerCritic', is: 'at most', limit: 'maxConcurrent' },
  { option: 'breakerMinimumCalls', is: 'at most', limit: 'breakerWindowSize' },
  { option: 'breakerMaxRecoveryTimeoutMs', is: 'at least', limit: 'breakerRecoveryTimeoutMs' },
  { option: 'retryMaxDelayMs', is: 'at least', limit: 'retryBaseDelayMs' },
  { option: 'cacheMaxEntryBytes', is: 'at most', limit: 'stateMaxBytes' },
  // A completed task's result is the stored critique: it must outlive the task.
  { option: 'taskTtlMs', is: 'at most', limit: 'resultTtlMs' },
  { option: 'httpHeadersTimeoutMs', is: 'at most', limit: 'httpRequestTimeoutMs' },
  // A call dropped with its connection detaches after waitMs; a session ending before that would cancel it.
  { option: 'httpSessionIdleMs', is: 'at least', limit: 'waitMs' },
];

/** Worst-case UTF-8 bytes of one UTF-16 character, and room for the other arguments and the JSON-RPC envelope. */
export const BYTES_PER_CONTEXT_CHAR = 3;
export const MESSAGE_OVERHEAD_BYTES = 1024 * 1024;

function describe(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown} (${Array.isArray(value) ? 'array' : typeof value})`;
}

/** CONFIG_INVALID in the form `name must be <expectation>, got <value> (<type>)`. */
export function invalidOption(name: string, expectation: string, value: unknown): BrutalistError {
  return new BrutalistError('CONFIG_INVALID', `${name} must be ${expectation}, got ${describe(value)}`, {
    data: { option: name },
  });
}

function breaks(rule: OrderRule, values: Readonly<Record<NumberOption, number>>): boolean {
  const value = values[rule.option];
  const limit = values[rule.limit];
  return rule.is === 'at most' ? value > limit : value < limit;
}

/**
 * Applies the cross-field rules to options that are each valid: `given` holds the options the operator set (file,
 * env or overrides). Returns the values with defaults that follow their limit; throws CONFIG_INVALID otherwise.
 */
export function settleRules<C extends Config>(values: C, given: ReadonlySet<string>): C {
  const out: C = { ...values };
  const numbers: Record<NumberOption, number> = out;
  for (const rule of ORDER_RULES) {
    if (!breaks(rule, numbers)) continue;
    if (!given.has(rule.option)) {
      numbers[rule.option] = numbers[rule.limit];
      continue;
    }
    throw invalidOption(
      rule.option,
      `${rule.is} ${rule.limit} (${numbers[rule.limit]})`,
      numbers[rule.option],
    );
  }
  checkMessageFitsContext(out);
  checkQueueHasRedis(out);
  return out;
}

/** A context the tools accept (maxContextChars) must fit in a message the transport reads (maxMessageBytes). */
function checkMessageFitsContext(config: Pick<Config, 'maxContextChars' | 'maxMessageBytes'>): void {
  const needed = config.maxContextChars * BYTES_PER_CONTEXT_CHAR + MESSAGE_OVERHEAD_BYTES;
  if (config.maxMessageBytes < needed) {
    throw new BrutalistError(
      'CONFIG_INVALID',
      `maxMessageBytes must be at least maxContextChars * ${BYTES_PER_CONTEXT_CHAR} + ${MESSAGE_OVERHEAD_BYTES} = ${needed} so that a context of maxContextChars characters can be read, got ${config.maxMessageBytes}; raise maxMessageBytes or lower maxContextChars`,
      { data: { option: 'maxMessageBytes' } },
    );
  }
}

/** Queue execution keeps its jobs in Redis: without a Redis URL there is no queue to put them on. */
function checkQueueHasRedis(config: Pick<Config, 'execution' | 'redisUrl'>): void {
  if (config.execution === 'queue' && config.redisUrl === '') {
    throw new BrutalistError(
      'CONFIG_INVALID',
      'execution "queue" needs redisUrl (BRUTALIST_REDIS_URL): the queue lives in Redis',
      { data: { option: 'execution' } },
    );
  }
}
