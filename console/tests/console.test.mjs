// Browser tests of the console, in Debian's Chromium against `crm up --demo` (started by
// run-browser-tests.sh). Each test drives the page as a user would: keyboard, forms, links.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { BASE, env, launch, percentile, rest, seriousViolations, signedIn } from './harness.mjs';

let browser;
/** A scored key account in the demo managers' book (its phone is the banner's pop link). */
let keyAccount;
/** A mainland client with a Chinese name and a mobile contact. */
let cnClient;
let cnMobile;

before(async () => {
  browser = await launch();
  keyAccount = await rest('ADMIN', 'GET', `/v1/clients:lookup?contact_phone=${encodeURIComponent(env.POP_PHONE)}`);
  const list = await rest('ADMIN', 'GET', `/v1/clients?page_size=50&filter=${encodeURIComponent('client.country_code == "CN"')}`);
  for (const client of list.clients) {
    if (!/[\u4e00-\u9fff]/.test(client.displayName ?? '')) continue;
    const { contacts = [] } = await rest('ADMIN', 'GET', `/v1/${client.name}/contacts`);
    const mobile = contacts.map((c) => c.phone).find((p) => /^\+861\d{10}$/.test(p ?? ''));
    if (mobile) {
      cnClient = client;
      cnMobile = mobile;
      break;
    }
  }
  assert.ok(keyAccount?.name && cnClient && cnMobile, 'demo fixtures found');
});

after(async () => {
  await browser?.cleanup();
});

/**
 * Types into the search box the way a user does (`/` to focus, then keys), and waits until
 * the console has classified the whole entry as `kind` (a pause mid-typing may classify a
 * prefix first).
 */
async function search(page, text, kind) {
  // The home screen focuses the box by itself; start from the page to show `/` doing it.
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  await page.locator('body').press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'search', '/ focuses the search box');
  await page.keyboard.type(text, { delay: 20 });
  await page.waitForFunction((t) => document.getElementById('search')?.dataset.answered === t, text.trim());
  assert.equal(await page.locator('#search').getAttribute('data-kind'), kind);
}

/** Moves through the results with the arrow keys to the option named `name`, then Enter. */
async function openResult(page, name) {
  const options = page.locator('#search-results [role=option]');
  const status = await page.locator('#search-status').textContent();
  assert.ok((await options.count()) > 0, `results for "${await page.locator('#search').inputValue()}": ${status}`);
  const names = await options.locator('.result-name').allTextContents();
  const index = names.indexOf(name);
  assert.ok(index >= 0, `"${name}" among the results: ${names.join(', ')}`);
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('#search').getAttribute('aria-activedescendant'), `result-${index}`);
  await page.keyboard.press('Enter');
  await page.locator('#client-title').waitFor();
  assert.equal(await page.locator('#client-title').textContent(), name);
}

describe('sign-in', () => {
  test('a pasted token signs in; the token stays in this tab only', async () => {
    const page = await browser.newPage();
    await page.goto(`${BASE}/console/`);
    await page.locator('#token').fill(env.CONTACT_CENTRE_AGENT);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('#search').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('crm.console.token')), env.CONTACT_CENTRE_AGENT);
    assert.equal(await page.evaluate(() => localStorage.getItem('crm.console.token')), null);
    await page.close();
  });

  test('a token that is not a JWT is refused next to the field', async () => {
    const page = await browser.newPage();
    await page.goto(`${BASE}/console/`);
    await page.locator('#token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#token-error').waitFor();
    assert.equal(await page.locator('#token').getAttribute('aria-invalid'), 'true');
    await page.close();
  });
});

describe('find the client', () => {
  test('by a Chinese name, as you type, opened with the keyboard', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await search(page, cnClient.displayName, 'name');
    await openResult(page, cnClient.displayName);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('by a caller ID in E.164', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await search(page, cnMobile, 'phone');
    await openResult(page, cnClient.displayName);
    await page.close();
  });

  // National-format numbers reach LookupClient as typed (separators removed); matching them
  // to the stored E.164 is the profile service's phone normalisation, which is not there yet.
  const normalised = process.env.CONSOLE_EXPECT_PHONE_NORMALISATION === '1';
  test(
    'by a national-format phone number (138 0013 8000)',
    normalised ? {} : { todo: 'passes once the profile service normalises national phone numbers to E.164' },
    async () => {
      const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
      const national = cnMobile.slice(3).replace(/^(\d{3})(\d{4})(\d{4})$/, '$1 $2 $3');
      await search(page, national, 'phone');
      await openResult(page, cnClient.displayName);
      await page.close();
    },
  );

  test('by e-mail, account number, registration number and LEI, each recognised as such', async () => {
    const view = await rest('ADMIN', 'GET', `/v1/${cnClient.name}:view360`);
    const keys = [
      ['email', view.contacts?.[0]?.email],
      ['account', view.holdings?.[0]?.accountNumber],
      ['registration', cnClient.registrationNumber],
      ['lei', cnClient.lei],
    ].filter(([, value]) => value);
    assert.ok(keys.length >= 3, JSON.stringify(keys));
    for (const [kind, value] of keys) {
      const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
      await search(page, value, kind);
      await openResult(page, cnClient.displayName);
      await page.close();
    }
  });

  test('a caller-ID deep link pops the client with one GetClient360 call', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await page.goto(`${BASE}/console/pop?phone=${encodeURIComponent(env.POP_PHONE)}`);
    await page.locator('#client-title').waitFor();
    assert.equal(await page.locator('#client-title').textContent(), keyAccount.displayName);
    const calls = await page.evaluate(() =>
      performance.getEntriesByType('resource').filter((e) => e.name.includes(':view360')).map((e) => e.name),
    );
    assert.equal(calls.length, 1, calls.join('\n'));
    const early = await page.evaluate(() => performance.getEntriesByName('console:early-360').length);
    assert.equal(early, 1, 'the inline boot script started the call (allowed by the CSP hash)');
    assert.match(page.url(), /\/console\/clients\/[0-9a-f]+$/, 'the address becomes the client\'s own');
    await page.close();
  });
});

describe('the client on one screen', () => {
  test('the score breakdown is drawn from the value score components', async () => {
    const page = await signedIn(browser, 'RELATIONSHIP_MANAGER');
    await page.goto(`${BASE}/console/clients/${keyAccount.name.split('/')[1]}`);
    const chart = page.locator('.score-chart svg[role=img]');
    await chart.waitFor();
    // The client's own risk-adjusted value (RAROC, EVA, relationship) and the market access
    // it brings to the portfolio.
    assert.match(await chart.getAttribute('aria-label'), /RAROC .*EVA .*Relationship.*access/i);
    assert.equal(await chart.locator('rect.bar').count(), 4);
    await page.locator('details.components summary').press('Enter');
    const rows = await page.locator('details.components tbody tr').count();
    assert.ok(rows >= 10, `component rows: ${rows}`);
    assert.match(await page.locator('.card-value .score').textContent(), /\d/);
    assert.ok(await page.locator('.card-identity').textContent().then((t) => t.includes(env.PORTFOLIO)));
    await page.close();
  });

  test('a contact-centre agent sees what the API masks, masked', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await page.goto(`${BASE}/console/clients/${keyAccount.name.split('/')[1]}`);
    await page.locator('.card-contacts table').waitFor();
    const phones = await page.locator('.card-contacts [data-field=phone]').allTextContents();
    const emails = await page.locator('.card-contacts [data-field=email]').allTextContents();
    assert.ok(phones.length > 0 && phones.every((p) => p.includes('*')), phones.join(', '));
    assert.ok(emails.every((e) => e.includes('*')), emails.join(', '));
    assert.ok(!phones.includes(env.POP_PHONE));
    const tax = await page.locator('.card-identity [data-field=taxId]').textContent();
    assert.ok(tax === '—' || tax.includes('*'), tax);
    assert.ok(await page.getByText('Amounts are withheld for your role.').isVisible());
    await page.close();
  });

  test('an interaction logged here, or by any other channel, appears in the live timeline', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await page.goto(`${BASE}/console/clients/${keyAccount.name.split('/')[1]}`);
    await page.locator('.live.on').waitFor();
    const mine = `Console test: caller asked about a missing payment ${Date.now()}`;
    const form = page.locator('[data-action=interaction] form');
    await form.getByLabel('Summary').fill(mine);
    await form.getByRole('button', { name: 'Log interaction' }).click();
    await page.locator('.timeline li.fresh', { hasText: mine }).waitFor({ timeout: 10_000 });

    const other = `E-mail channel: statement request ${Date.now()}`;
    await rest('ADMIN', 'POST', `/v1/${keyAccount.name}/interactions`, {
      channel: 'CHANNEL_EMAIL',
      direction: 'DIRECTION_INBOUND',
      kind: 'INTERACTION_KIND_SERVICE_REQUEST',
      occurTime: new Date().toISOString(),
      summary: other,
    });
    await page.locator('.timeline li', { hasText: other }).waitFor({ timeout: 10_000 });
    await page.close();
  });

  test('the live timeline reconnects after its stream drops', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    let attempts = 0;
    await page.route('**/*:streamTimeline*', async (route) => {
      attempts += 1;
      if (attempts === 1) await route.abort('connectionreset');
      else await route.continue();
    });
    await page.goto(`${BASE}/console/clients/${keyAccount.name.split('/')[1]}`);
    await page.locator('.live.on').waitFor({ timeout: 15_000 });
    assert.ok(attempts >= 2, `stream requests: ${attempts}`);
    await page.close();
  });

  test('field violations from the API appear next to their fields', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await page.goto(`${BASE}/console/clients/${keyAccount.name.split('/')[1]}`);
    const form = page.locator('[data-action=interaction] form');
    await form.getByLabel('Summary').fill('');
    await form.getByRole('button', { name: 'Log interaction' }).click();
    const summary = form.getByLabel('Summary');
    await page.waitForFunction(() => document.querySelector('[name="interaction.summary"]')?.getAttribute('aria-invalid') === 'true');
    const described = await summary.getAttribute('aria-describedby');
    assert.match(await page.locator(`#${described}`).textContent(), /required/);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'interaction.summary');
    await page.close();
  });

  test('a case opens, then moves through its states with its etag', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await page.goto(`${BASE}/console/clients/${keyAccount.name.split('/')[1]}`);
    const title = `Card blocked abroad ${Date.now()}`;
    await page.locator('[data-action=case] summary').click();
    const form = page.locator('[data-action=case] form');
    await form.getByLabel('Title').fill(title);
    await form.getByRole('button', { name: 'Open case' }).click();
    const item = page.locator('.case', { hasText: title });
    await item.waitFor();
    await item.getByRole('button', { name: 'Save' }).click();
    await page.locator('.case', { hasText: title }).locator('.chip', { hasText: 'In progress' }).waitFor();
    await page.close();
  });

  test('consent is recorded and shows in the timeline', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await page.goto(`${BASE}/console/clients/${keyAccount.name.split('/')[1]}`);
    await page.locator('.live.on').waitFor();
    await page.locator('[data-action=consent] summary').click();
    const form = page.locator('[data-action=consent] form');
    await form.getByRole('button', { name: 'Record consent' }).click();
    await form.locator('.form-status.ok').waitFor();
    await page.locator('.timeline li.fresh .entry-consent').first().waitFor({ timeout: 10_000 });
    await page.close();
  });

  test('a partial 360 names the missing part instead of failing', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await page.route('**/*:view360*', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      delete body.valueScore;
      body.warnings = [{ part: 'PART_VALUE_SCORE', reason: 'BACKEND_UNAVAILABLE', message: 'scoring is down' }];
      await route.fulfill({ response, json: body });
    });
    await page.goto(`${BASE}/console/clients/${keyAccount.name.split('/')[1]}`);
    await page.locator('.warnings [data-part=PART_VALUE_SCORE]').waitFor();
    assert.match(await page.locator('.card-value .part-missing').textContent(), /BACKEND_UNAVAILABLE/);
    assert.ok(await page.locator('.card-contacts table').isVisible(), 'the other parts are shown');
    await page.close();
  });
});

describe('portfolio, segments, administration', () => {
  test('a relationship manager sees the book by tier, key-account plans and exit review', async () => {
    // The demo has no account plans: the key-account manager writes one due in ten days.
    const title = `Relationship plan ${Date.now()}`;
    await rest('KEY_ACCOUNT_MANAGER', 'POST', `/v1/${keyAccount.name}/accountPlans`, {
      title,
      objectives: [{ description: 'Win the trade-finance mandate' }],
      team: [{ staffId: 'demo-kam', role: 'lead' }],
      reviewTime: new Date(Date.now() + 10 * 86400_000).toISOString(),
    });
    const page = await signedIn(browser, 'RELATIONSHIP_MANAGER');
    await page.goto(`${BASE}/console/portfolio`);
    await page.locator('#h-tiers').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('.tier-chart svg').getAttribute('aria-label'), /Key account [1-9]\d*/);
    assert.ok(await page.getByRole('link', { name: keyAccount.displayName }).first().isVisible());
    const plans = page.locator('section[aria-labelledby=h-plans]');
    assert.ok(await plans.getByText(title).isVisible(), 'the plan due for review is listed');
    assert.ok(await page.locator('#h-exit').isVisible());
    await page.close();
  });

  test('an analyst sees the scheme report and the target-market ranking', async () => {
    const page = await signedIn(browser, 'MARKETING_ANALYST');
    await page.goto(`${BASE}/console/analyst`);
    await page.locator('#h-targets').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#h-homogeneity ~ figure svg').getAttribute('aria-label'), /η²/);
    assert.ok((await page.locator('#h-targets ~ figure svg rect.part-profit').count()) > 0);
    await page.close();
  });

  test('an admin sees the value model and the audit trail of each service', async () => {
    const page = await signedIn(browser, 'ADMIN');
    await page.goto(`${BASE}/console/admin`);
    await page.getByText(/^Version \d+$/).waitFor();
    const audit = page.locator('[data-section=audit]');
    // The profile's trail: the demo's seeding, the followers' subscriptions, clear reads.
    await audit.locator('table tbody tr').first().waitFor();
    assert.match(await audit.locator('table').textContent(), /SeedPortfolio/);
    assert.match(await audit.locator('table').textContent(), /WatchChanges/);
    await page.getByLabel('Trail of').selectOption('interaction');
    await audit.locator('table tbody tr, p.muted').first().waitFor();
    await page.close();
  });

  test('the interface switches to Chinese; data stays as stored', async () => {
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    await page.goto(`${BASE}/console/clients/${cnClient.name.split('/')[1]}`);
    await page.locator('#client-title').waitFor();
    await page.locator('button.lang').click();
    await page.locator('#h-timeline', { hasText: '时间线' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    assert.equal(await page.locator('#client-title').textContent(), cnClient.displayName);
    await page.close();
  });
});

describe('accessibility (axe-core: no serious or critical violations)', () => {
  const screens = [
    { name: 'sign-in', role: null, path: '/console/' },
    { name: 'search results', role: 'CONTACT_CENTRE_AGENT', path: '/console/', search: true },
    { name: '360 (agent)', role: 'CONTACT_CENTRE_AGENT', path: 'client', wait: '.live.on' },
    { name: '360 (manager)', role: 'RELATIONSHIP_MANAGER', path: 'client', wait: '.score-chart' },
    { name: 'portfolio', role: 'RELATIONSHIP_MANAGER', path: '/console/portfolio', wait: '#h-tiers' },
    { name: 'segments', role: 'MARKETING_ANALYST', path: '/console/analyst', wait: '#h-targets' },
    { name: 'administration', role: 'ADMIN', path: '/console/admin', wait: '#h-audit ~ *:not(.muted)' },
  ];
  const layouts = [
    { label: '1280×800, English', viewport: { width: 1280, height: 800 }, lang: 'en' },
    { label: '768×1024, Chinese', viewport: { width: 768, height: 1024 }, lang: 'zh' },
  ];
  for (const layout of layouts) {
    for (const screen of screens) {
      test(`${screen.name} at ${layout.label}`, async () => {
        let page;
        if (screen.role) {
          page = await signedIn(browser, screen.role, { lang: layout.lang, viewport: layout.viewport });
        } else {
          page = await browser.newPage();
          await page.setViewportSize(layout.viewport);
          await page.goto(`${BASE}/console/`);
          await page.evaluate((l) => localStorage.setItem('crm.console.lang', l), layout.lang);
        }
        const path = screen.path === 'client' ? `/console/clients/${keyAccount.name.split('/')[1]}` : screen.path;
        await page.goto(`${BASE}${path}`);
        if (screen.wait) await page.locator(screen.wait).first().waitFor({ timeout: 30_000 });
        if (screen.search) {
          await search(page, cnClient.displayName, 'name');
          await page.locator('#search-results [role=option]').first().waitFor();
        }
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scrollWidth <= layout.viewport.width, `no horizontal scrolling: ${scrollWidth}px`);
        await page.close();
      });
    }
  }
});

describe('screen pop timing (measured, not asserted)', () => {
  test('deep link to rendered 360, over repeated pops', async () => {
    const runs = Number(process.env.CONSOLE_POP_RUNS ?? 50);
    const page = await signedIn(browser, 'CONTACT_CENTRE_AGENT');
    const url = `${BASE}/console/pop?phone=${encodeURIComponent(env.POP_PHONE)}`;
    await page.goto(url); // warm: connections, caches, the service's own caches
    await page.locator('#client-title').waitFor();
    const samples = [];
    for (let i = 0; i < runs; i++) {
      await page.goto(url);
      await page.waitForFunction(() => performance.getEntriesByName('console:360-painted').length > 0);
      samples.push(
        await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const api = performance.getEntriesByType('resource').find((e) => e.name.includes(':view360'));
          return {
            rendered: performance.getEntriesByName('console:360-rendered')[0].startTime,
            painted: performance.getEntriesByName('console:360-painted')[0].startTime,
            document: nav.responseEnd,
            domContentLoaded: nav.domContentLoadedEventEnd,
            api: api ? api.responseEnd - api.startTime : NaN,
            apiStart: api ? api.startTime : NaN,
            transfer: performance.getEntriesByType('resource').reduce((n, e) => n + (e.transferSize || 0), nav.transferSize || 0),
          };
        }),
      );
    }
    const summary = {};
    for (const key of ['rendered', 'painted', 'document', 'domContentLoaded', 'apiStart', 'api']) {
      const sorted = samples.map((s) => s[key]).sort((a, b) => a - b);
      summary[key] = {
        p50: +percentile(sorted, 50).toFixed(1),
        p95: +percentile(sorted, 95).toFixed(1),
        p99: +percentile(sorted, 99).toFixed(1),
        max: +sorted[sorted.length - 1].toFixed(1),
      };
    }
    const report = { runs, milliseconds: summary, bytesPerPop: samples[samples.length - 1].transfer };
    fs.mkdirSync('test-results', { recursive: true });
    fs.writeFileSync('test-results/screen-pop.json', `${JSON.stringify(report, null, 2)}\n`);
    console.log(`screen pop over ${runs} pops (ms from navigation start): ${JSON.stringify(summary)}`);
    await page.close();
  });
});
