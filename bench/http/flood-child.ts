// The flood of flood.bench.ts, in a process of its own: autocannon POSTs a tools/call to `url` as fast as the
// service answers over `connections` keep-alive sockets, every other request without Authorization and the others
// with a well-formed token no key has, until stdin closes. Prints `started` when it begins, then one JSON line:
// requests answered, seconds, the count per HTTP status, connection errors and timeouts.
// Usage: node --import tsx bench/http/flood-child.ts URL CONNECTIONS WRONG_TOKEN [RATE per second, 0: uncapped]
import autocannon from 'autocannon';

const [url, connections, wrongToken, rate = '0'] = process.argv.slice(2);
if (!url || !connections || !wrongToken)
  throw new Error('usage: flood-child URL CONNECTIONS WRONG_TOKEN [RATE]');

const body = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'brutalist_discover', arguments: { intent: 'a flood' } },
});
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

const instance = autocannon(
  {
    url,
    connections: Number(connections),
    // Ended by the parent (stdin closes); the duration is only a backstop.
    duration: 3_600,
    ...(Number(rate) > 0 ? { overallRate: Number(rate) } : {}),
    requests: [
      { method: 'POST', body, headers },
      { method: 'POST', body, headers: { ...headers, authorization: `Bearer ${wrongToken}` } },
    ],
  },
  (err, result) => {
    if (err) throw err;
    const statuses = Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([status, s]) => [status, s.count ?? 0]),
    );
    const out = {
      answered: result.requests.total,
      seconds: result.duration,
      statuses,
      errors: result.errors,
      timeouts: result.timeouts,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  },
);
instance.on('start', () => process.stdout.write('started\n'));
process.stdin.on('end', () => instance.stop());
process.stdin.resume();
