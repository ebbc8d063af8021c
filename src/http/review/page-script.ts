/**
 * The review page's script, plain browser JavaScript (no build step, no CDN). Everything
 * from the API is put into the page with textContent, never as HTML, so a diff or a title
 * full of markup is shown as text. The token lives in sessionStorage (gone with the tab)
 * and goes only into the Authorization header of same-origin API calls.
 */
export const PAGE_SCRIPT = `
'use strict';
const base = location.pathname.replace(/\\/+$/, '');
const KEY = 'tether.token';
const FINISHED = ['merged', 'rejected', 'failed', 'conflicted', 'abandoned'];
let token = sessionStorage.getItem(KEY);
let me = null;
let selected = null;
let shownVersion = '';
const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child == null ? '' : String(child)));
  return node;
}

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function api(path, options) {
  const init = options || {};
  const headers = Object.assign({ Authorization: 'Bearer ' + token }, init.body ? { 'Content-Type': 'application/json' } : {}, init.headers || {});
  const res = await fetch(base + path, Object.assign({}, init, { headers }));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = new Error((body.error && body.error.message) || res.statusText);
    error.code = body.error && body.error.code;
    error.status = res.status;
    throw error;
  }
  return body;
}

function testText(result) {
  if (!result) return '—';
  const took = ' (' + Math.round(result.durationMs) + ' ms)';
  if (result.exitCode === 0) return 'passed' + took;
  return (result.timedOut ? 'timed out' : 'failed, exit ' + result.exitCode) + took;
}

function renderGoals(goals) {
  const body = $('goals').querySelector('tbody');
  body.replaceChildren(...goals.map((g) => el('tr', {}, el('td', {}, g.title), el('td', { class: 'state state-' + g.status }, g.status), el('td', {}, g.source), el('td', {}, g.createdBy))));
  if (!goals.length) body.append(el('tr', {}, el('td', { colspan: '4' }, 'No goals yet.')));
}

function renderModifications(mods) {
  const body = $('modifications').querySelector('tbody');
  body.replaceChildren(...mods.map((m) => {
    const open = el('button', { class: 'link', 'data-id': m.id, onclick: () => select(m.id) }, m.title);
    const result = m.testResult ? (m.testResult.exitCode === 0 ? 'test-passed' : 'test-failed') : '';
    return el('tr', { class: m.id === selected ? 'selected' : '', 'data-id': m.id },
      el('td', {}, open), el('td', { class: 'state state-' + m.state }, m.state), el('td', { class: result }, testText(m.testResult)), el('td', {}, m.author));
  }));
  if (!mods.length) body.append(el('tr', {}, el('td', { colspan: '4' }, 'No modifications yet.')));
}

function renderDiff(files) {
  const box = $('diff');
  box.replaceChildren();
  if (!files.length) { box.append(el('p', {}, 'No diff yet: the branch is not committed.')); return; }
  for (const f of files) {
    const name = f.oldPath === f.newPath ? f.newPath : (f.oldPath || '/dev/null') + ' → ' + (f.newPath || '/dev/null');
    const section = el('div', { class: 'diff-file' }, el('h3', {}, name));
    for (const h of f.hunks) {
      section.append(el('div', { class: 'diff-line hunk-header' }, '@@ -' + h.oldStart + ',' + h.oldLines + ' +' + h.newStart + ',' + h.newLines + ' @@'));
      for (const line of h.lines) {
        const kind = line[0] === '+' ? 'diff-add' : line[0] === '-' ? 'diff-del' : 'diff-ctx';
        section.append(el('div', { class: 'diff-line ' + kind }, line));
      }
    }
    box.append(section);
  }
}

async function renderDetail() {
  if (!selected) return;
  const m = await api('/api/modifications/' + encodeURIComponent(selected));
  $('detail').hidden = false;
  $('detail-title').textContent = m.title;
  $('state').textContent = m.state;
  $('state').className = 'state state-' + m.state;
  $('author').textContent = m.author;
  $('branch').textContent = m.branch;
  $('base').textContent = m.baseCommit || '—';
  $('head').textContent = m.head || '—';
  $('test').textContent = testText(m.testResult);
  $('reason').textContent = m.reason || '—';
  $('problem').textContent = m.error ? m.error.code + ': ' + m.error.message : (m.conflictPaths && m.conflictPaths.length ? 'conflicts: ' + m.conflictPaths.join(', ') : '—');
  $('output').textContent = m.testResult ? m.testResult.outputTail : '';
  const canDecide = m.state === 'tested' && me && me.role === 'approver';
  if (FINISHED.includes(m.state) && $('action-result').className !== 'error') $('action-result').textContent = '';
  $('actions').hidden = !canDecide;
  $('approve').dataset.head = m.head || '';
  const version = m.id + ' ' + m.head;
  if (version !== shownVersion) {
    const d = await api('/api/modifications/' + encodeURIComponent(selected) + '/diff');
    renderDiff(d.files);
    shownVersion = version;
  }
}

async function select(id) {
  selected = id;
  shownVersion = '';
  $('action-result').textContent = '';
  await refresh();
}

async function decide(verb) {
  const id = selected;
  const body = { comment: $('comment').value || undefined };
  if (verb === 'approve' && $('approve').dataset.head) body.head = $('approve').dataset.head;
  $('approve').disabled = $('reject').disabled = true;
  try {
    const m = await api('/api/modifications/' + encodeURIComponent(id) + '/' + verb, {
      method: 'POST', body: JSON.stringify(body), headers: { 'Idempotency-Key': randomKey() },
    });
    $('action-result').textContent = verb === 'approve' ? 'Approved: merging…' : 'Rejected.';
    $('action-result').className = '';
    $('comment').value = '';
    void m;
  } catch (e) {
    $('action-result').textContent = (e.code ? e.code + ': ' : '') + e.message;
    $('action-result').className = 'error';
  } finally {
    $('approve').disabled = $('reject').disabled = false;
  }
  await refresh();
}

async function refresh() {
  if (!token) return;
  try {
    const [goals, mods] = await Promise.all([api('/api/goals?limit=50'), api('/api/modifications?limit=50')]);
    renderGoals(goals.goals);
    renderModifications(mods.modifications);
    await renderDetail();
    $('refresh-error').textContent = '';
  } catch (e) {
    if (e.status === 401) return signOut('Your token was refused: sign in again.');
    $('refresh-error').textContent = 'Could not refresh: ' + e.message;
  }
}

async function signIn(candidate) {
  token = candidate;
  try {
    me = await api('/api/me');
  } catch (e) {
    token = null;
    $('signin-error').textContent = e.status === 401 ? 'That token was refused.' : 'Sign-in failed: ' + e.message;
    return;
  }
  sessionStorage.setItem(KEY, candidate);
  $('signin').hidden = true;
  $('main').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = 'Signed in as ' + me.name + ' (' + me.role + ')';
  await refresh();
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  token = null; me = null; selected = null;
  $('signin').hidden = false;
  $('main').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('signin-error').textContent = message || '';
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  $('signin-error').textContent = '';
  void signIn($('token').value.trim());
  $('token').value = '';
});
$('signout').addEventListener('click', () => signOut());
$('approve').addEventListener('click', () => decide('approve'));
$('reject').addEventListener('click', () => decide('reject'));
setInterval(() => { if (token && document.visibilityState === 'visible') void refresh(); }, 1500);
if (token) void signIn(token);
`;
