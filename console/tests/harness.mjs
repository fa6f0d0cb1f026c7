// What the browser tests share: the running suite (from run-browser-tests.sh's environment),
// Debian's Chromium through playwright-core, REST calls for setup, and axe-core.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/** `ROLE=token` and the other lines of the demo's 0600 tokens file. */
export function demoEnv() {
  const file = process.env.CONSOLE_TOKENS_FILE;
  if (!file) throw new Error('CONSOLE_TOKENS_FILE is not set: run the tests with run-browser-tests.sh');
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

export const env = demoEnv();
export const BASE = env.CONSOLE_URL.replace(/\/console$/, '');

/** A REST call as `role`, for test setup (not through the browser). */
export async function rest(role, method, path, body) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${env[role]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Debian's Chromium, headless, with a fresh profile and no background traffic. */
export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    // axe-core is injected as a script; the console's CSP (script-src 'self') would refuse it.
    bypassCSP: true,
  });
  browser.cleanup = async () => {
    await browser.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return browser;
}

/** A page signed in as `role` (the token in sessionStorage, as the sign-in form leaves it). */
export async function signedIn(browser, role, { lang = 'en', viewport } = {}) {
  const page = await browser.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(`${BASE}/console/`);
  await page.evaluate(
    ([token, l]) => {
      sessionStorage.setItem('crm.console.token', token);
      localStorage.setItem('crm.console.lang', l);
    },
    [env[role], lang],
  );
  await page.reload();
  await page.locator('#search').waitFor();
  return page;
}

const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations of serious or critical impact on the page as it is now. */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
