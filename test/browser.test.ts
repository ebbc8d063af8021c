/**
 * End to end through a real server and Debian's Chromium (playwright-core): a person signs
 * in on the review page with an approver token, sees the diff of a tested modification,
 * approves it and sees it merged. A missing /usr/bin/chromium fails the test: CI installs
 * the apt package `chromium`, and a browser test that silently skips proves nothing.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { httpHarness, TOKENS, type HttpHarness } from './support/http.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('./.artifacts/', import.meta.url));

let h: HttpHarness;
let server: ServerType;
let base: string;
let browser: Browser | undefined;

beforeAll(async () => {
  h = await httpHarness({ http: { rateLimit: { burst: 500, perSecond: 100 } } });
  base = await new Promise<string>((resolve) => {
    server = serve({ fetch: h.tether.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
});

it('lets a person sign in, read the diff of a tested modification, approve it and see it merged', async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium) to run the browser test.`);
  }
  const m = await h.testedModification('Fix add from the page');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  const external: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(base)) external.push(request.url());
  });

  await page.goto(`${base}/`);
  await page.fill('#token', TOKENS.approver.secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.textContent('#who')).toContain('alice (approver)');

  await page.getByRole('button', { name: 'Fix add from the page' }).click();
  await page.waitForSelector('#diff .diff-add');
  const diff = await page.textContent('#diff');
  expect(diff).toContain('src/math.js');
  expect(diff).toContain('-exports.add = (a, b) => a - b;');
  expect(diff).toContain('+exports.add = (a, b) => a + b;');
  expect(await page.textContent('#state')).toBe('tested');
  expect(await page.textContent('#test')).toContain('passed');
  expect(await page.textContent('#head')).toBe(m.head);

  await page.click('#approve');
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'merged', undefined, { timeout: 30_000 });
  const merged = await h.tether.services.codeAccess.get(m.id);
  expect(merged.state).toBe('merged');
  expect(h.disk.git('log', '-1', '--format=%(trailers:key=Tether-Approved-By,valueonly)', 'main')).toBe('alice');
  // A finished modification offers no decision any more.
  await expect.poll(() => page.isVisible('#approve')).toBe(false);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}review.png`, fullPage: true });
  expect(problems).toEqual([]);
  expect(external).toEqual([]);
});
