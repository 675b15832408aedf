// Drives Debian's Chromium through forms of a running `forms` server, as a citizen would.
//
//   node run.mjs PLAN.json
//
// PLAN.json (written by tests/e2e/browser.rs):
//   { "base": "https://localhost:PORT", "issuer": "https://localhost:PORT2",
//     "cert": "cert.pem", "out": "DIR",
//     "forms": [ { "id": "kontakt", "send": true, "login": null,
//                  "answers": { "message": "…", "tema": ["a", "b"] },
//                  "files": { "bilde": ["photo.png"] } } ] }
//
// Every form is walked twice. First with JavaScript switched off, which is how the pages
// must work: open, switch language, send empty to get the error summary, follow its first
// link, fill in, step through to the summary and the receipt; screenshots are taken here.
// Then again with JavaScript on, only so that axe-core can run in each of those states.
// A form with "login" (an "acr amr" pair of the simulator's page) sends the browser to
// the ID-porten simulator first: the first test person is picked at that level, and
// after the receipt "Mine innsendinger" must list the reference, whose link opens the
// submission's own page with its history. A form with "erase" is
// then erased from there (or, where a law keeps it, its erasure page says so).
// A form with "subscription" (a newsletter sign-up) is followed from the confirmation
// mail, which the plan's "mailbox" (what the test's SMTP server received) holds, to the
// subscriber's page: confirm, a refused save, unsubscribe; its links name the plan's
// "site", which is the server at "base".
// Writes DIR/report.json: per form the reference of each receipt, those erased, the
// subscriptions walked, the states audited,
// axe-core's WCAG 2.1 A/AA violations, and every check that failed. The Rust test judges it.

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const axeSource = fs.readFileSync(
  new URL('./node_modules/axe-core/axe.min.js', import.meta.url),
  'utf8',
);
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
fs.mkdirSync(plan.out, { recursive: true });

// Trust exactly the test server's key, as a pinned certificate, not every certificate.
const pem = fs.readFileSync(plan.cert, 'utf8');
const spki = crypto
  .createHash('sha256')
  .update(new crypto.X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64');

const browser = await chromium.launch({
  executablePath: process.env.FORMS_CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--ignore-certificate-errors-spki-list=${spki}`,
  ],
});

const report = { forms: {} };

/** One walk through a form; `audit` is called in each state the citizen sees. */
async function walk(form, page, result, audit, shoot) {
  const fail = (what) => result.failures.push(what);
  const url = `${plan.base}/skjema/${form.id}`;

  const response = await page.goto(url);
  if (response.status() !== 200) fail(`GET ${url} answered ${response.status()}`);
  if (form.login) {
    if (!page.url().startsWith(`${plan.issuer}/authorize`)) fail(`not sent to log in: ${page.url()}`);
    await page.locator(`input[name="level"][value="${form.login}"]`).check();
    await page.locator('button[type="submit"]').click();
    if (!page.url().startsWith(url)) fail(`not back on the form after login: ${page.url()}`);
    if ((await page.locator('.account button').count()) !== 1) fail('no logout button after login');
  }
  if ((await page.getAttribute('html', 'lang')) !== 'nb') fail('the form does not open in bokmål');
  if ((await page.locator('script, [onclick], [onsubmit], [onchange]').count()) > 0) {
    fail('the page carries JavaScript');
  }
  const title = (await page.locator('h1').first().textContent()).trim();
  await shoot('skjema');
  await audit('skjema');

  // The language switch, then back to bokmål.
  for (const lang of ['en', 'nn', 'nb']) {
    await page.locator(`nav.language a[hreflang="${lang}"]`).click();
    if ((await page.getAttribute('html', 'lang')) !== lang) fail(`the switch to ${lang} did not switch`);
    const current = await page.locator(`nav.language [aria-current="true"]`).getAttribute('lang');
    if (current !== lang) fail(`the switch does not mark ${lang} as current`);
    const heading = (await page.locator('h1').first().textContent()).trim();
    if (lang === 'en') {
      if (heading === title) fail(`the heading stayed "${title}" in English`);
      await audit('skjema-en');
    }
  }

  // The print view, for those who send on paper.
  await page.locator('.print-link a').click();
  if ((await page.locator('h1').count()) !== 1) fail('the print view has no heading');
  await shoot('utskrift');
  await audit('utskrift');
  await page.goto(url);

  // The privacy page (GDPR article 13), from its link on the form.
  await page.locator('.privacy-link a').click();
  if (!page.url().includes(`/skjema/${form.id}/personvern`)) fail(`the privacy link led to ${page.url()}`);
  if ((await page.locator('h1').count()) !== 1) fail('the privacy page has no heading');
  await shoot('personvern');
  await audit('personvern');
  await page.goto(url);

  if (!form.send) return;

  // Sent empty: the error summary takes focus, and its first link leads to the answer.
  // (What login prefilled is emptied first, as a citizen might.)
  for (const input of await page.locator('main input[type="text"], main input[type="email"], main input[type="tel"], main textarea').all()) {
    await input.fill('');
  }
  await primaryButton(page).click();
  if ((await page.locator('.error-summary').count()) !== 1) {
    fail('no error summary after sending an empty page');
  } else {
    const focused = await page.locator(':focus').getAttribute('class');
    if (!(focused || '').includes('error-summary')) fail(`focus is on "${focused}", not on the error summary`);
    if (!(await page.title()).includes(':')) fail('the page title does not say there is an error');
    await shoot('feil');
    await audit('feil');
    const link = page.locator('.error-summary a').first();
    const target = (await link.getAttribute('href')).replace(/^#/, '');
    await link.click();
    const focusedId = await page.locator(':focus').getAttribute('id');
    if (focusedId !== target) fail(`the summary's first link focused "${focusedId}", not "${target}"`);
  }
  // Opened afresh, a form that needs login is prefilled again.
  if (form.login) await page.goto(url);

  // Filled in page by page, then sent from the summary.
  for (let step = 0; step < 12; step++) {
    for (const [name, value] of Object.entries(form.answers || {})) await answer(page, name, value);
    for (const [name, files] of Object.entries(form.files || {})) await answer(page, name, { files });
    await primaryButton(page).click();
    if ((await page.locator('.error-summary').count()) > 0) {
      fail(`step ${step + 1} refused: ${(await page.locator('.error-summary').innerText()).replace(/\s+/g, ' ')}`);
      return;
    }
    if ((await page.locator('input[name="_page"][value="summary"]').count()) > 0) {
      await shoot('oppsummering');
      await audit('oppsummering');
      await page.locator('button[name="_action"][value="send"]').click();
    }
    // A newsletter sign-up ends with "check your e-mail": the walk goes on from the
    // link in the confirmation mail.
    if ((await page.locator('.mail-sent').count()) > 0) {
      await shoot('kvittering');
      await audit('kvittering');
      if (form.subscription) await subscriber(page, form, result, audit, shoot);
      return;
    }
    const reference = page.locator('.reference strong');
    if ((await reference.count()) > 0) {
      const sent = (await reference.textContent()).trim();
      result.references.push(sent);
      await shoot('kvittering');
      await audit('kvittering');
      if (form.login) {
        await page.locator('.account a').click();
        if (!(await page.locator('main').innerText()).includes(sent)) {
          fail(`"Mine innsendinger" does not list ${sent}`);
        }
        await shoot('mine-innsendinger');
        await audit('mine-innsendinger');
        // The submission's own page, with its history, and back to the list.
        await page.locator(`main a[href^="/mine-innsendinger/${sent}?"]`).click();
        if (!(await page.locator('main table').innerText()).includes('Mottatt')) {
          fail(`the page of ${sent} shows no history`);
        }
        await shoot('innsending');
        await audit('innsending');
        await page.locator('main a[href^="/mine-innsendinger?"]').click();
        if (form.erase) await erase(page, sent, result, audit, shoot);
      }
      return;
    }
  }
  fail('no receipt after 12 steps');
}

/**
 * From "Mine innsendinger": the erasure page of `sent` (by its link, or by its address
 * where a law keeps it and there is no link), then, if it asks, yes.
 */
async function erase(page, sent, result, audit, shoot) {
  const fail = (what) => result.failures.push(what);
  const link = page.locator(`main a[href*="/mine-innsendinger/${sent}/slett"]`);
  if ((await link.count()) > 0) {
    await link.click();
  } else {
    await page.goto(`${plan.base}/mine-innsendinger/${sent}/slett`);
  }
  await shoot('slett');
  await audit('slett');
  const yes = page.locator('main form[action*="/slett"] button[type="submit"]');
  if ((await yes.count()) === 0) return;
  await yes.click();
  if (!(await page.locator('main').innerText()).includes(sent)) {
    fail(`the erasure's answer does not name ${sent}`);
  }
  await shoot('slettet');
  await audit('slettet');
  result.erased.push(sent);
  await page.locator('main a[href^="/mine-innsendinger"]').click();
  if ((await page.locator('main').innerText()).includes(sent)) {
    fail(`"Mine innsendinger" still lists ${sent} after erasing it`);
  }
}

/**
 * The subscriber's page of a newsletter sign-up, from the link in its confirmation
 * mail: confirm, try to save no topic (the error summary takes focus), unsubscribe.
 */
async function subscriber(page, form, result, audit, shoot) {
  const fail = (what) => result.failures.push(what);
  const link = await confirmationLink(form.answers.epost, result.subscribed.length);
  await page.goto(link.replace(plan.site, plan.base));
  await shoot('bekreft');
  await audit('bekreft');
  await page.locator('button[name="handling"][value="bekreft"]').click();
  if ((await page.locator('main [role="status"]').count()) !== 1) fail('no word that the sign-up is confirmed');
  await shoot('abonnement');
  await audit('abonnement');
  for (const box of await page.locator('input[name="tema"]').all()) await box.uncheck();
  await page.locator('button[name="handling"][value="lagre"]').click();
  if ((await page.locator('.error-summary').count()) !== 1) {
    fail('saving no topic gave no error summary');
  } else {
    const focused = await page.locator(':focus').getAttribute('class');
    if (!(focused || '').includes('error-summary')) fail(`focus is on "${focused}", not on the error summary`);
  }
  await shoot('abonnement-feil');
  await audit('abonnement-feil');
  await page.locator('button[name="handling"][value="avmeld"]').click();
  if ((await page.locator('h1').count()) !== 1) fail('no heading after unsubscribing');
  await shoot('avmeldt');
  await audit('avmeldt');
  result.subscribed.push(link);
}

/** The link in confirmation mail number `n` (from 0) to `address`, once it has come. */
async function confirmationLink(address, n) {
  const site = plan.site.replace(/[.]/g, '\\.');
  for (let tries = 0; tries < 200; tries++) {
    const text = fs.existsSync(plan.mailbox) ? fs.readFileSync(plan.mailbox, 'utf8') : '';
    const links = text
      .split('---------- MESSAGE FOLLOWS ----------')
      .slice(1)
      .filter((message) => message.includes(`To: ${address}`))
      .map((message) => decodeBody(message).match(new RegExp(`${site}/nyhetsbrev/[0-9a-f]{64}`)))
      .filter((found) => found);
    if (links.length > n) return links[n][0];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no confirmation mail number ${n + 1} to ${address}`);
}

/** A message's body as text, decoded from quoted-printable or base64. */
function decodeBody(message) {
  const [head, ...rest] = message.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n').split('------------ END MESSAGE ------------')[0];
  const encoding = (head.match(/Content-Transfer-Encoding: *(\S+)/i) || [])[1] || '7bit';
  if (encoding.toLowerCase() === 'base64') {
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  if (encoding.toLowerCase() === 'quoted-printable') {
    const joined = body.replace(/=\r?\n/g, '');
    return Buffer.from(
      joined.replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  }
  return body;
}

/** "Continue" on a page of several, otherwise "Send". */
function primaryButton(page) {
  return page
    .locator('button[name="_action"][value="next"], button[name="_action"][value="send"]')
    .first();
}

/** Answers one question if it is on this page, the way its control is used. */
async function answer(page, name, value) {
  // Answers of other pages ride along in hidden inputs of the same name: skip those.
  const controls = page.locator(`[name="${name}"]:not([type="hidden"])`);
  if ((await controls.count()) === 0) return;
  const first = controls.first();
  // Attributes only: locators work with JavaScript off, evaluate() does not.
  const type = await first.getAttribute('type');
  const select = (await page.locator(`select[name="${name}"]`).count()) > 0;
  if (value && value.files) {
    await first.setInputFiles(value.files);
  } else if (select) {
    await first.selectOption(value);
  } else if (type === 'radio' || type === 'checkbox') {
    for (const v of [].concat(value)) {
      const box = type === 'checkbox' && (await controls.count()) === 1
        ? first
        : page.locator(`[name="${name}"][value="${v}"]`);
      if ((await box.count()) === 0) throw new Error(`"${name}" has no option "${v}"`);
      await box.check();
    }
  } else {
    await first.fill(value);
  }
}

for (const form of plan.forms) {
  const result = {
    references: [], erased: [], subscribed: [], audited: [], violations: [], screenshots: [], failures: [],
  };
  report.forms[form.id] = result;

  // Without JavaScript: the citizen's walk, with screenshots.
  const plain = await browser.newContext({ javaScriptEnabled: false, locale: 'nb-NO' });
  const page = await plain.newPage();
  page.setDefaultTimeout(15000);
  const shoot = async (state) => {
    const file = path.join(plan.out, `${form.id}-${state}.png`);
    await page.screenshot({ path: file, fullPage: true });
    result.screenshots.push(file);
  };
  try {
    await walk(form, page, result, async () => {}, shoot);
  } catch (e) {
    result.failures.push(`without JavaScript: ${e.message.split('\n')[0]}`);
  }
  await plain.close();

  // With JavaScript, only to run axe-core in the same states.
  const scripted = await browser.newContext({ locale: 'nb-NO' });
  const apage = await scripted.newPage();
  apage.setDefaultTimeout(15000);
  const audit = async (state) => {
    const found = await apage.evaluate(
      async ([source, tags]) => {
        if (!window.axe) (0, eval)(source);
        const run = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
        return run.violations.map((v) => ({
          rule: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => n.target.join(' ')),
        }));
      },
      [axeSource, WCAG_TAGS],
    );
    result.audited.push(state);
    for (const v of found) result.violations.push({ state, ...v });
  };
  try {
    await walk(form, apage, result, audit, async () => {});
  } catch (e) {
    result.failures.push(`with JavaScript: ${e.message.split('\n')[0]}`);
  }
  await scripted.close();

  // A browser that asks for English gets English.
  const english = await browser.newContext({ javaScriptEnabled: false, locale: 'en-GB' });
  const epage = await english.newPage();
  await epage.goto(`${plan.base}/skjema/${form.id}`);
  if (form.login) {
    if (!epage.url().includes('ui_locales=en')) {
      result.failures.push('Accept-Language: en-GB did not ask ID-porten for English');
    }
  } else if ((await epage.getAttribute('html', 'lang')) !== 'en') {
    result.failures.push('Accept-Language: en-GB did not give English');
  }
  await english.close();
}

await browser.close();
fs.writeFileSync(path.join(plan.out, 'report.json'), JSON.stringify(report, null, 2));
