/**
 * The review page: one self-contained HTML document (style and script inline, no CDN),
 * under a Content-Security-Policy that allows only its own nonce'd style and script and
 * same-origin API calls. The page holds no data: it fetches everything with the token.
 */
import { PAGE_SCRIPT } from './page-script.ts';
import { PAGE_STYLE } from './page-style.ts';

export function pageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function reviewPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Tether review</title>
<style nonce="${nonce}">${PAGE_STYLE}</style>
</head>
<body>
<header><h1>Tether review</h1><span id="who"></span><button id="signout" hidden>Sign out</button></header>
<section id="signin">
  <h2>Sign in</h2>
  <p>Paste a token (the secret part of a <code>TETHER_TOKENS</code> entry). It stays in this tab only.</p>
  <form id="signin-form">
    <label for="token">Token</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button type="submit">Sign in</button>
  </form>
  <p id="signin-error" class="error" role="alert"></p>
</section>
<main id="main" hidden>
  <p id="refresh-error" class="error" role="alert"></p>
  <section>
    <h2>Modifications</h2>
    <table id="modifications"><thead><tr><th>title</th><th>state</th><th>tests</th><th>author</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="detail" hidden>
    <h2 id="detail-title"></h2>
    <dl>
      <dt>state</dt><dd id="state"></dd>
      <dt>author</dt><dd id="author"></dd>
      <dt>reason</dt><dd id="reason"></dd>
      <dt>branch</dt><dd id="branch"></dd>
      <dt>base</dt><dd id="base"></dd>
      <dt>head</dt><dd id="head"></dd>
      <dt>tests</dt><dd id="test"></dd>
      <dt>problem</dt><dd id="problem"></dd>
    </dl>
    <div id="actions" hidden>
      <textarea id="comment" placeholder="comment (optional)" maxlength="2000"></textarea>
      <button id="approve" type="button">Approve</button>
      <button id="reject" type="button">Reject</button>
    </div>
    <p id="action-result" role="status"></p>
    <h3>Diff</h3>
    <div id="diff"></div>
    <h3>Test output</h3>
    <pre id="output" class="output"></pre>
  </section>
  <section>
    <h2>Goals</h2>
    <table id="goals"><thead><tr><th>title</th><th>status</th><th>source</th><th>created by</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body>
</html>`;
}
