/** `serve --http [--host H] [--port N]` arguments, and the `keys add|revoke` commands of the HTTP service. */
import type { Config, ConfigInput } from '../engine/config.js';
import { BrutalistError } from '../errors/index.js';
import { addKey, parseScopes, revokeKey } from '../http/index.js';
import { systemClock } from '../infra/index.js';

const usage = (message: string) => new BrutalistError('INVALID_ARGUMENT', message);

/** The config overrides of `serve --http`; anything else after `serve` is a usage error. */
export function parseServeArgs(args: readonly string[]): { overrides: ConfigInput } {
  let http = false;
  const overrides: { httpHost?: string; httpPort?: number } = {};
  for (let i = 0; i < args.length; i++) {
    const [flag = '', inline] = (args[i] ?? '').split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw usage(`serve ${flag} needs a value.`);
      return v;
    };
    if (flag === '--http') http = true;
    else if (flag === '--host') overrides.httpHost = value();
    else if (flag === '--port') {
      const v = value();
      if (!/^\d{1,5}$/.test(v))
        throw usage(`serve --port must be a port number (0-65535), got ${JSON.stringify(v)}.`);
      overrides.httpPort = Number(v);
    } else
      throw usage(
        `serve does not take ${JSON.stringify(flag.slice(0, 40))}; usage: serve --http [--host H] [--port N].`,
      );
  }
  if (!http) throw usage('serve takes --host/--port only with --http (stdio needs no options).');
  return { overrides };
}

interface Out {
  write(text: string): unknown;
}

/** `keys add NAME --scopes LIST` and `keys revoke NAME`, on the file BRUTALIST_API_KEYS_FILE names. */
export function keysCommand(config: Config, args: readonly string[], stdout: Out, stderr: Out): number {
  const [sub, name, ...rest] = args;
  const file = config.apiKeysFile;
  const help = 'Usage: brutalist-mcp keys add NAME --scopes roast[,debate][,admin] | keys revoke NAME\n';
  if (!sub || !name || (sub !== 'add' && sub !== 'revoke')) {
    stderr.write(help);
    return 2;
  }
  if (file === '') {
    stderr.write('Set BRUTALIST_API_KEYS_FILE to the keys file first (it is created 0600 if missing).\n');
    return 2;
  }
  if (sub === 'revoke') {
    if (rest.length > 0) {
      stderr.write(help);
      return 2;
    }
    const removed = revokeKey(file, name, systemClock);
    stderr.write(removed ? `key ${name} revoked\n` : `no key named ${name}\n`);
    return removed ? 0 : 1;
  }
  const scopesAt = rest.findIndex((a) => a === '--scopes' || a.startsWith('--scopes='));
  const scopesArg = rest[scopesAt]?.startsWith('--scopes=') ? rest[scopesAt]?.slice(9) : rest[scopesAt + 1];
  const expected = rest[scopesAt]?.includes('=') ? 1 : 2;
  if (scopesAt !== 0 || scopesArg === undefined || rest.length !== expected) {
    stderr.write(help);
    return 2;
  }
  const token = addKey(file, name, parseScopes(scopesArg), systemClock);
  // The token exists only in this output: the file keeps its SHA-256.
  stdout.write(`${token}\n`);
  stderr.write(
    `key ${name} added to the keys file with scopes ${scopesArg}. Keep the token above: it is not stored and is shown only once.\n`,
  );
  return 0;
}
