import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { token, testApp, SECRET, ISSUER, AUDIENCE } from '../support/http';
import { ROOT, startService, type RunningService } from '../support/service-process';

/**
 * The teacher dashboard in a real browser: Debian's chromium (installed by scripts/chromium.sh,
 * as scripts/redis.sh installs redis-server) driven by puppeteer-core, against the real service
 * process on a free port. A browser that cannot be installed or launched fails this file, loudly.
 *
 * Screenshots for docs/dashboard.md are written only when DASHBOARD_SCREENSHOTS=1 (see that
 * page), so ordinary runs leave the work tree clean.
 */

const SIZES = [
  { name: '1280', width: 1280, height: 800 },
  { name: '390', width: 390, height: 844 },
] as const;
const TEACHER = 'teacher-dash';
const COHORT = 'year9-python';
const OTHER_COHORT = 'year10-python';
const STUDENTS = ['ada', 'grace', 'linus', 'barbara', 'ken', 'margaret'];
const TOPICS = ['python-basics', 'control-flow', 'functions'];
const DAY_MS = 86_400_000;

let service: RunningService;
let browser: Browser;
let teacherToken: string;
const cspProblems: string[] = [];

function chromiumPath(): string {
  const run = Bun.spawnSync(['bash', join(ROOT, 'scripts/chromium.sh'), 'path'], { stdout: 'pipe', stderr: 'pipe' });
  const path = run.stdout.toString().trim();
  if (run.exitCode !== 0 || !path) throw new Error(`chromium is not available (scripts/chromium.sh exit ${run.exitCode}): ${run.stderr.toString()}`);
  return path;
}

const auth = async (role: string, sub: string) => ({ authorization: `Bearer ${await token({ role, sub, exp: Math.floor(Date.now() / 1000) + 3600 })}` });

async function api(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<any> {
  const res = await fetch(service.url + path, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const LESSONS: Record<string, string[]> = {
  'python-basics': ['python-basics.intro', 'python-basics.variables', 'python-basics.types', 'python-basics.operators', 'python-basics.input-output'],
  'control-flow': ['control-flow.if-else', 'control-flow.while-loops', 'control-flow.for-loops', 'control-flow.break-continue', 'control-flow.match'],
  functions: ['functions.defining', 'functions.arguments', 'functions.return-values', 'functions.scope', 'functions.lambdas', 'functions.recursion'],
};

/**
 * Six students over the last six days, from weak and idle to strong and steady, on one to three
 * topics each: the heatmap gets every level and empty cells, the at-risk list some rows.
 */
async function seed(): Promise<void> {
  const service_ = await auth('service', 'platform');
  const admin = await auth('admin', 'admin-dash');
  const now = Date.now();
  const events: unknown[] = [];
  STUDENTS.forEach((student, s) => {
    const strength = 0.2 + (s / (STUDENTS.length - 1)) * 0.8;
    TOPICS.slice(0, 1 + (s % 3)).forEach((topic, t) => {
      const lessons = LESSONS[topic]!.slice(0, Math.max(1, Math.round(strength * LESSONS[topic]!.length)));
      for (let day = 5; day >= 0; day -= s < 2 ? 5 : 1) {
        const at = (k: number) => new Date(now - day * DAY_MS - (t * 10 + k + 1) * 60_000).toISOString();
        const id = `dash-${student}-${topic}-${day}`;
        events.push({ event_id: `${id}-q`, event_type: 'quiz.completed', student_id: student, topic_id: topic, occurred_at: at(0), data: { quiz_id: `q${day}`, score: Math.min(1, strength + (5 - day) * 0.01) } });
        events.push({ event_id: `${id}-c`, event_type: 'code.assessed', student_id: student, topic_id: topic, occurred_at: at(1), data: { submission_id: `sub-${day}`, quality_score: Math.min(1, strength) } });
        lessons.forEach((lesson, k) => events.push({ event_id: `${id}-l${k}`, event_type: 'lesson.completed', student_id: student, topic_id: topic, occurred_at: at(2 + k), data: { lesson_id: lesson, time_spent_seconds: 600 } }));
      }
    });
  });
  for (let i = 0; i < events.length; i += 100) {
    const ingest = await api('POST', '/api/v1/events', service_, events.slice(i, i + 100));
    expect([ingest.rejected, ingest.discarded]).toEqual([0, 0]);
  }
  await api('PUT', `/api/v1/cohorts/${COHORT}`, admin, { name: 'Year 9 Python', teacher_ids: [TEACHER], student_ids: STUDENTS });
  await api('PUT', `/api/v1/cohorts/${OTHER_COHORT}`, admin, { name: 'Year 10 Python', teacher_ids: ['someone-else'], student_ids: ['zoe'] });
}

async function openSignedIn(width: number, height: number): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspProblems.push(m.text());
  });
  page.on('pageerror', (e) => cspProblems.push(`page error: ${(e as Error).message}`));
  await page.goto(`${service.url}/dashboard`, { waitUntil: 'networkidle0' });
  await page.type('#token', teacherToken);
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#heatmap tbody td[data-topic]', { timeout: 10_000 });
  return page;
}

/** axe-core from node_modules, evaluated over DevTools (which the page's CSP does not govern). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => {
    const run = await (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] });
    return run.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 3) }));
  });
  return (result as { id: string; impact: string; nodes: string[] }[]).filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.join(', ')}`);
}

async function openStudentByKeyboard(page: Page, student: string): Promise<void> {
  await page.focus(`#heatmap tbody th button[data-student="${student}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#prediction-text[data-predicted]', { timeout: 10_000 });
  await page.waitForSelector('#recommendations li', { timeout: 10_000 });
  await page.waitForSelector('#history tbody tr', { timeout: 10_000 });
}

beforeAll(async () => {
  const executablePath = chromiumPath();
  service = await startService({ APP_ENV: 'test', STATE_BACKEND: 'memory', JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, RATE_LIMIT_PER_MINUTE: '10000' });
  // --no-sandbox: chromium's sandbox refuses to start as root, which is how the suite runs here.
  browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  teacherToken = (await auth('teacher', TEACHER)).authorization.slice('Bearer '.length);
  await seed();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('the teacher dashboard in chromium', () => {
  test('is served with a strict Content-Security-Policy and no data, its assets only from a fixed list', async () => {
    const res = await fetch(`${service.url}/dashboard`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(res.headers.get('content-type')).toStartWith('text/html');
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('style=');
    expect(html).not.toMatch(new RegExp(`\\b(${STUDENTS.join('|')})\\b`));
    const chart = await fetch(`${service.url}/dashboard/assets/uPlot.iife.min.js`);
    expect([chart.status, chart.headers.get('content-type'), chart.headers.get('content-security-policy')]).toEqual([200, 'text/javascript; charset=utf-8', csp]);
    expect((await chart.text()).length).toBeGreaterThan(10_000);
    for (const path of ['/dashboard/assets/package.json', '/dashboard/assets/..%2F..%2F..%2F..%2Fpackage.json', '/dashboard/assets/index.html']) {
      expect([path, (await fetch(service.url + path)).status]).toEqual([path, 404]);
    }
    // JWT_SECRET is set: no development tokens.
    expect((await fetch(`${service.url}/dashboard/dev-tokens`)).status).toBe(404);
  });

  test("signs in with a pasted token and shows the teacher's cohorts only, the heatmap and the at-risk rows as the API gives them", async () => {
    const page = await openSignedIn(1280, 800);
    const teacher = { authorization: `Bearer ${teacherToken}` };
    expect(await page.$eval('#dev-sign-in', (e) => (e as any).hidden)).toBe(true);
    const options = await page.$$eval('#cohort option', (os) => os.map((o) => (o as any).value));
    expect(options).toEqual([COHORT]);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);

    const cells = await page.$$eval('#heatmap tbody td[data-topic]', (tds) =>
      tds.map((td) => ({ student: td.getAttribute('data-student'), topic: td.getAttribute('data-topic'), score: td.getAttribute('data-score'), text: td.textContent })),
    );
    let checked = 0;
    for (const student of STUDENTS) {
      const mastery = await api('GET', `/api/v1/students/${student}/mastery`, teacher);
      for (const t of mastery.topics as { topic_id: string; mastery_score: number; level: string }[]) {
        const c = cells.find((x) => x.student === student && x.topic === t.topic_id);
        expect(c).toEqual({ student, topic: t.topic_id, score: String(t.mastery_score), text: `${t.mastery_score.toFixed(2)}${t.level}` });
        checked += 1;
      }
      const overall = cells.find((x) => x.student === student && x.topic === 'overall')!;
      expect(overall.score).toBe(String(mastery.overall.mastery_score));
      // A topic the student has no events in reads as such, in words.
      for (const topic of TOPICS.filter((x) => !mastery.topics.some((t: { topic_id: string }) => t.topic_id === x))) {
        expect(cells.find((x) => x.student === student && x.topic === topic)?.text).toBe('—no events');
      }
    }
    expect(checked).toBe(12);
    // One column per topic any student has events in (titled from the curriculum where served), and Overall.
    const columns = await page.$$eval('#heatmap thead th', (ths) => ths.map((th) => th.getAttribute('data-topic') ?? th.textContent));
    expect([columns[0], columns.at(-1), columns.slice(1, -1).sort()]).toEqual(['Student', 'Overall', [...TOPICS].sort()]);
    // The legend names every level in words; the cells carry the level as text too, not colour alone.
    expect(await page.$$eval('.legend li', (lis) => lis.map((l) => l.textContent))).toEqual(['novice', 'developing', 'proficient', 'mastered', '— no events yet']);

    const atRisk = await api('GET', `/api/v1/cohorts/${COHORT}/at-risk`, teacher);
    expect(atRisk.students.length).toBeGreaterThan(0);
    const rows = await page.$$eval('#at-risk tbody tr', (trs) =>
      trs.map((tr) => ({
        student: tr.getAttribute('data-student'),
        values: Array.from(tr.querySelectorAll('td[data-value]') as ArrayLike<{ getAttribute(n: string): string | null }>).map((td) => td.getAttribute('data-value')),
        reasons: Array.from(tr.querySelectorAll('li') as ArrayLike<{ getAttribute(n: string): string | null }>).map((li) => `${li.getAttribute('data-topic')}/${li.getAttribute('data-reason')}`),
      })),
    );
    expect(rows).toEqual(
      atRisk.students.map((s: any) => ({
        student: s.student_id,
        values: [String(s.current), String(s.predicted)],
        reasons: s.topics.flatMap((t: any) => t.reasons.map((r: any) => `${t.topic_id}/${r.code}`)),
      })),
    );
    expect(cspProblems).toEqual([]);
    await page.close();
  }, 30_000);

  for (const size of SIZES) {
    test(`at ${size.width}×${size.height}: a student's history, prediction band and recommendations, opened by keyboard, with no serious axe violations`, async () => {
      const page = await openSignedIn(size.width, size.height);
      const teacher = { authorization: `Bearer ${teacherToken}` };
      const student = 'barbara';
      await openStudentByKeyboard(page, student);
      const prediction = await api('POST', '/api/v1/predictions/next-week', teacher, { student_id: student });
      const shown = await page.$eval('#prediction-text', (p) => [p.getAttribute('data-predicted'), p.getAttribute('data-low'), p.getAttribute('data-high')]);
      expect(shown).toEqual([String(prediction.overall.predicted), String(prediction.overall.low), String(prediction.overall.high)]);
      expect(await page.$eval('#student-title', (h) => [h.textContent, (globalThis as any).document.activeElement === h])).toEqual([`Student ${student}`, true]);
      expect(await page.$$eval('#history tbody tr', (trs) => trs.length)).toBe(28);
      const recs = await page.$$eval('#recommendations li', (lis) => lis.map((l) => l.getAttribute('data-topic')));
      expect(recs.length).toBeGreaterThan(0);
      expect(recs.length).toBeLessThanOrEqual(3);
      // The chart drew: uPlot's canvas fits the viewport.
      const canvasWidth = await page.$eval('#chart canvas', (c) => (c as any).getBoundingClientRect().width);
      expect(canvasWidth).toBeGreaterThan(200);
      expect(canvasWidth).toBeLessThanOrEqual(size.width);
      // Nothing but the tables' own scroll regions is wider than the viewport.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(size.width);
      await page.$eval('#student details', (d) => ((d as any).open = true));
      expect(await seriousViolations(page)).toEqual([]);
      expect(cspProblems).toEqual([]);
      if (process.env.DASHBOARD_SCREENSHOTS === '1') {
        await page.$eval('#student details', (d) => ((d as any).open = false));
        await page.evaluate('window.scrollTo(0, 0)');
        await page.screenshot({ path: join(ROOT, `docs/dashboard-${size.name}.png`), fullPage: true });
      }
      await page.close();
    }, 30_000);
  }

  test('signing out forgets the token', async () => {
    const page = await openSignedIn(1280, 800);
    await page.click('#sign-out');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.$eval('#dashboard', (d) => (d as any).hidden)).toBe(true);
    await page.close();
  }, 30_000);
});

describe('development sign-in', () => {
  const devTokens = [{ role: 'teacher' as const, subject: 'teacher-1', token: 'a.b.c' }];

  test('offers the teacher and admin sample tokens to a loopback browser, which signs in with one click', async () => {
    const signed = [
      { role: 'teacher' as const, subject: 'teacher-1', token: await token({ role: 'teacher', sub: 'teacher-1' }) },
      { role: 'student' as const, subject: 'student-1', token: await token({ role: 'student', sub: 'student-1' }) },
    ];
    const { app } = testApp({ dashboard: { devTokens: signed } });
    app.listen({ hostname: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${app.server!.port}`;
    const page = await browser.newPage();
    try {
      const res = await fetch(`${url}/dashboard/dev-tokens`);
      expect([res.status, res.headers.get('cache-control')]).toEqual([200, 'no-store']);
      expect(await res.json()).toEqual({ tokens: [{ role: 'teacher', subject: 'teacher-1', token: signed[0]!.token }] });
      await page.goto(`${url}/dashboard`, { waitUntil: 'networkidle0' });
      await page.waitForSelector('#dev-sign-in:not([hidden]) button', { timeout: 5000 });
      expect(await page.$$eval('#dev-buttons button', (bs) => bs.map((b) => b.textContent))).toEqual(['Sign in as teacher-1 (teacher)']);
      await page.click('#dev-buttons button');
      await page.waitForFunction("document.getElementById('status').textContent.startsWith('You teach no cohort')", { timeout: 5000 });
      expect(await page.$eval('#whoami', (w) => w.textContent)).toBe('Signed in as teacher-1 (teacher)');
    } finally {
      await page.close();
      await app.stop(true);
    }
  }, 30_000);

  test('serves nothing to a client whose address is not loopback, or when the tokens are not development ones', async () => {
    // app.handle has no socket, so no client address: treated like a remote client.
    expect((await testApp({ dashboard: { devTokens } }).call('GET', '/dashboard/dev-tokens')).status).toBe(404);
    const none = await testApp().call('GET', '/dashboard/dev-tokens');
    expect([none.status, none.json.error.code]).toEqual([404, 'not_found']);
  });
});

describe('the OpenAPI document', () => {
  test('describes GET /dashboard as an HTML page and leaves its assets and development tokens out', async () => {
    const doc = (await testApp().call('GET', '/docs/json')).json;
    expect(Object.keys(doc.paths).filter((p: string) => p.startsWith('/dashboard'))).toEqual(['/dashboard']);
    expect(Object.keys(doc.paths['/dashboard'].get.responses['200'].content)).toEqual(['text/html']);
  });
});
