/**
 * The app's one Config: the critics registry's options (the choice among critics, each vendor's own) joined to
 * every option below the critics, resolved and frozen once (ADR 0034). The rest of config/ is re-exported, so
 * this module is the one the composed app, its CLI and its tests import configuration from.
 */
import {
  OPTIONS as BASE_OPTIONS,
  type ConfigInputOf,
  type ConfigOf,
  loadOptions,
  optionNames,
  printableOptions,
  resolveOptions,
} from '../config/index.js';
import { REGISTRY_OPTIONS } from '../critics/index.js';

export * from '../config/index.js';

/** Every configurable value, in README order: the critics' first, then the rest. */
export const OPTIONS = { ...REGISTRY_OPTIONS, ...BASE_OPTIONS } as const;

export type OptionName = keyof typeof OPTIONS;

/** Values given for the options (from a file or overrides), not yet checked. */
export type ConfigInput = ConfigInputOf<typeof OPTIONS>;

/** Every option name, in table order. */
export const OPTION_NAMES = optionNames(OPTIONS);

/** The resolved, frozen configuration of the app. */
export type Config = ConfigOf<typeof OPTIONS>;

/** Defaults < config file < env (BRUTALIST_*) < overrides, then the rules between options (config/rules.ts). */
export function resolveConfig(
  options: {
    env?: NodeJS.ProcessEnv;
    file?: Readonly<Record<string, unknown>>;
    overrides?: ConfigInput;
  } = {},
): Config {
  return resolveOptions(OPTIONS, options);
}

/** Config for a server process: env + the config file (explicit via BRUTALIST_CONFIG, or the default location). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides?: ConfigInput): Config {
  return loadOptions(OPTIONS, env, overrides);
}

/** The config as `brutalist-mcp config` prints it: secret options as `<set>`, a URL's password as `<set>`. */
export function printableConfig(config: Config): Record<string, unknown> {
  return printableOptions(OPTIONS, config);
}
