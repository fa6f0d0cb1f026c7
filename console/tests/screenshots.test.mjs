// The README's screenshots of the main screens, in English and Chinese, written only when
// CONSOLE_SCREENSHOTS names a directory (run-browser-tests.sh with that variable set).

import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BASE, env, launch, rest, signedIn } from './harness.mjs';

const dir = process.env.CONSOLE_SCREENSHOTS;
let browser;
/** A client of the demo managers' book with a Chinese name, a score and some history; not
 * the client the other tests write to, so the pictures show the demo as loaded. */
let showcase;

before(async () => {
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  browser = await launch();
  const used = (await rest('ADMIN', 'GET', `/v1/clients:lookup?contact_phone=${encodeURIComponent(env.POP_PHONE)}`)).name;
  const filter = encodeURIComponent(`client.relationship_manager == "${env.PORTFOLIO}"`);
  const book = [];
  let token = '';
  do {
    const page = await rest('ADMIN', 'GET', `/v1/clients?page_size=1000&filter=${filter}&page_token=${token}`);
    book.push(...(page.clients ?? []));
    token = page.nextPageToken ?? '';
  } while (token);
  let fallback;
  for (const client of book) {
    if (client.name === used || !/[\u4e00-\u9fff]/.test(client.displayName ?? '')) continue;
    const view = await rest('ADMIN', 'GET', `/v1/${client.name}:view360`);
    if (!view.valueScore?.components) continue;
    fallback ??= client;
    if ((view.recentInteractions ?? []).length > 0) {
      showcase = client;
      break;
    }
  }
  showcase ??= fallback ?? book.find((c) => c.name !== used) ?? book[0];
});

after(async () => {
  await browser?.cleanup();
});

const shots = [
  { name: 'search', role: 'CONTACT_CENTRE_AGENT', path: '/console/', search: true },
  { name: 'client-360', role: 'RELATIONSHIP_MANAGER', path: 'client', wait: '.live.on' },
  { name: 'client-360-agent', role: 'CONTACT_CENTRE_AGENT', path: 'client', wait: '.live.on', only: 'en' },
  { name: 'portfolio', role: 'RELATIONSHIP_MANAGER', path: '/console/portfolio', wait: '#h-tiers' },
  { name: 'analyst', role: 'MARKETING_ANALYST', path: '/console/analyst', wait: '#h-targets' },
  { name: 'admin', role: 'ADMIN', path: '/console/admin', wait: '#h-audit ~ *:not(.muted)' },
  { name: 'client-360-tablet', role: 'CONTACT_CENTRE_AGENT', path: 'client', wait: '.live.on', viewport: { width: 768, height: 1024 }, only: 'zh' },
];

for (const lang of ['en', 'zh']) {
  for (const shot of shots) {
    if (shot.only && shot.only !== lang) continue;
    test(`screenshot ${shot.name} (${lang})`, { skip: !dir && 'CONSOLE_SCREENSHOTS is not set' }, async () => {
      const viewport = shot.viewport ?? { width: 1280, height: 800 };
      const page = await signedIn(browser, shot.role, { lang, viewport });
      const target = shot.path === 'client' ? `/console/clients/${showcase.name.split('/')[1]}` : shot.path;
      await page.goto(`${BASE}${target}`);
      if (shot.wait) await page.locator(shot.wait).first().waitFor({ timeout: 30_000 });
      if (shot.search) {
        await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
        await page.locator('body').press('/');
        const text = lang === 'zh' ? showcase.displayName : 'Trading';
        await page.keyboard.type(text, { delay: 20 });
        await page.waitForFunction((t) => document.getElementById('search')?.dataset.answered === t, text);
      }
      await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.id !== 'search' && document.activeElement.blur());
      await page.screenshot({ path: path.join(dir, `${shot.name}-${lang}.png`), fullPage: !shot.search, animations: 'disabled' });
      await page.close();
    });
  }
}
