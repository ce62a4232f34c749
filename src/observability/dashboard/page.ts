/**
 * The `/dashboard` page: static HTML and one script (no framework, no inline script: the CSP allows only 'self'),
 * which polls `/dashboard/data` and shows the login form while the browser has no dashboard session.
 */

/** Served with every dashboard answer: nothing loads from elsewhere, nothing frames it. */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Not no-referrer: with it a browser posts the login form with `Origin: null`, which the origin check refuses.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
});

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>brutalist-mcp dashboard</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #111; background: #fafafa; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.6rem; }
.card { background: #fff; border: 1px solid #ddd; padding: 0.6rem; }
.card b { display: block; font-size: 1.4rem; }
.bad { color: #b00020; } .warn { color: #a15c00; } .ok { color: #0a6b2d; }
[hidden] { display: none; }
</style>
</head>
<body>
<h1>brutalist-mcp <span id="phase"></span></h1>
<form id="login" method="post" action="/dashboard/login" hidden>
  <p>Sign in with an API key or token that has the <code>admin</code> scope.</p>
  <input type="password" name="token" id="token" autocomplete="off" required size="50">
  <button type="submit">Sign in</button>
  <p id="login-error" class="bad"></p>
</form>
<main id="board" hidden>
  <h2>Golden signals</h2>
  <div class="grid">
    <div class="card">requests<b id="requests">-</b></div>
    <div class="card">errors<b id="errors">-</b></div>
    <div class="card">mean latency<b id="latency">-</b></div>
    <div class="card">in flight<b id="inflight">-</b></div>
    <div class="card">running / slots<b id="running">-</b></div>
    <div class="card">queued / limit<b id="queued">-</b></div>
  </div>
  <h2>Queue depth by priority</h2>
  <table><thead><tr><th>priority</th><th>queued</th></tr></thead><tbody id="queue"></tbody></table>
  <h2>Critics</h2>
  <table><thead><tr><th>critic</th><th>available</th><th>circuit</th><th>running</th><th>queued</th></tr></thead>
  <tbody id="critics"></tbody></table>
  <h2>In-flight critiques</h2>
  <table><thead><tr><th>request</th><th>tool</th><th>elapsed</th></tr></thead><tbody id="calls"></tbody></table>
  <h2>SLO error budget</h2>
  <table><thead><tr><th>SLO</th><th>target</th><th>budget left</th><th>alerts</th></tr></thead>
  <tbody id="slos"></tbody></table>
  <p>Updated <span id="updated">-</span>. <a href="/dashboard/logout">Sign out</a></p>
</main>
<script src="/dashboard/app.js"></script>
</body>
</html>
`;
