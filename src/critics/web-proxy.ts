/** The proxy env that sends a CLI's own web fetches through the run's URL-policy proxy, its model API excepted. */

/** Every spelling of the proxy variables CLIs read (upper and lower case; ALL_PROXY too, so none is left over). */
const PROXY_VARS = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY'];

/**
 * The env for a run whose web fetches go through `proxyUrl`: every proxy variable points at it (an operator's own
 * proxy variables are overridden for this run), and NO_PROXY names only the model API (`host` or `host:port`, from
 * `apiBaseUrl`), so model traffic goes where it went before and nothing else bypasses the policy.
 */
export function webProxyEnv(proxyUrl: string, apiBaseUrl: string): Record<string, string> {
  const api = new URL(apiBaseUrl);
  // URL.host keeps an explicit non-default port and drops the default one: "gw:8443", "api.anthropic.com".
  const exempt = api.host;
  const env: Record<string, string> = {};
  for (const name of PROXY_VARS) {
    env[name] = proxyUrl;
    env[name.toLowerCase()] = proxyUrl;
  }
  env.NO_PROXY = exempt;
  env.no_proxy = exempt;
  return env;
}
