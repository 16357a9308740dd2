// What the browser tests share: a real `plumb serve` on a free port with the
// demo data, a headless Debian chromium, and small API and page helpers.
//
// Needs the server binary (PLUMB_BIN, default ../build/plumb), the built UI
// (../web/dist: `npm run build` in web/) and Debian's chromium (CHROMIUM_BIN,
// default /usr/bin/chromium). No browser is downloaded.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const plumbBin = process.env.PLUMB_BIN ? resolve(process.env.PLUMB_BIN) : join(here, '../build/plumb');
export const chromiumBin = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const demoDir = join(here, '../demo');
export const webRoot = join(here, '../web/dist');

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const run = promisify(execFile);

async function freePort() {
  const probe = createServer();
  await new Promise((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address();
  await new Promise((ok) => probe.close(ok));
  return port;
}

async function plumb(args, env = {}) {
  try {
    await run(plumbBin, args, { env: { ...process.env, ...env } });
  } catch (error) {
    throw new Error(`plumb ${args.join(' ')} failed: ${error.stderr || error.message}`);
  }
}

/**
 * Starts `plumb serve` on a fresh database with the demo projects and users,
 * and a headless chromium. Returns {baseUrl, browser, server, exit, output(), stop()}.
 */
export async function startPlumb() {
  assert.ok(existsSync(plumbBin), `no server binary at ${plumbBin}: build it or set PLUMB_BIN`);
  assert.ok(existsSync(join(webRoot, 'index.html')), `no UI in ${webRoot}: run npm run build in web/`);
  assert.ok(existsSync(chromiumBin), `no chromium at ${chromiumBin}: run scripts/install-deps.sh`);

  const workDir = mkdtempSync(join(tmpdir(), 'plumb-e2e-'));
  const db = join(workDir, 'plumb.db');
  await plumb(['init', '--db', db], { PLUMB_ADMIN_PASSWORD: 'admin-pass-1' });
  await plumb(['demo', '--db', db, '--demo-dir', demoDir]);

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = spawn(
    plumbBin,
    ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--web-root', webRoot, '--media-root', demoDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  server.stdout.on('data', (chunk) => (output += chunk));
  server.stderr.on('data', (chunk) => (output += chunk));
  const exit = new Promise((ok) => server.on('exit', (code, signal) => ok({ code, signal })));

  const deadline = Date.now() + 15_000;
  let healthy = false;
  while (!healthy && Date.now() < deadline && server.exitCode === null) {
    try {
      healthy = (await fetch(`${baseUrl}/healthz`)).ok;
    } catch {
      // Not listening yet.
    }
    if (!healthy) await new Promise((ok) => setTimeout(ok, 100));
  }
  if (!healthy) throw new Error(`plumb serve did not become healthy:\n${output}`);

  const browser = await chromium.launch({ executablePath: chromiumBin, headless: true, args: chromiumArgs });
  return {
    baseUrl,
    browser,
    server,
    exit,
    output: () => output,
    async stop() {
      await browser.close();
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGKILL');
        await exit;
      }
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** An API client logged in as `username` (the demo password is `<username>-pass-1`). */
export async function apiAs(baseUrl, username) {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: `${username}-pass-1` }),
  });
  assert.equal(login.status, 200, `login as ${username}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return async (method, path, body) => {
    const res = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { Cookie: cookie, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/** The demo project called `name`, as the manager sees it. */
export async function projectNamed(api, name) {
  const { body } = await api('GET', '/projects');
  const project = body.items.find((p) => p.name === name);
  assert.ok(project, `a project called ${name}`);
  return project;
}

/** A page logged in as `username`, with page errors and dialogs collected. */
export async function loggedInPage(plumb, username) {
  const page = await plumb.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(`${plumb.baseUrl}/`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(`${username}-pass-1`);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('project-row').first().waitFor();
  return { page, problems };
}

/** Opens the labeling view of project `id` and waits for a task; returns its id. */
export async function openLabeling(page, baseUrl, id) {
  await page.goto(`${baseUrl}/projects/${id}/label`);
  const task = page.getByTestId('task');
  await task.waitFor();
  return Number(await task.getAttribute('data-task-id'));
}

/** The newest annotation's result of task `id` in the project's JSON export. */
export async function exportedTask(api, projectId, taskId) {
  const { status, body } = await api('GET', `/projects/${projectId}/export?format=json`);
  assert.equal(status, 200);
  const record = body.find((r) => r.id === taskId);
  assert.ok(record, `task ${taskId} is in the export`);
  return record;
}

/**
 * Creates a project (as `api`, an admin or manager) with `tasks` (none: import
 * them yourself), and makes the demo annotator a member; returns the project's id.
 */
export async function projectWithTasks(api, name, schema, tasks) {
  const created = await api('POST', '/projects', { name, schema });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const projectId = created.body.id;
  const { body: users } = await api('GET', '/users');
  const annotator = users.items.find((u) => u.username === 'annotator');
  assert.equal((await api('POST', `/projects/${projectId}/members`, { user_id: annotator.id })).status, 204);
  if (tasks.length > 0) {
    const imported = await api('POST', `/projects/${projectId}/tasks`, tasks);
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
  }
  return projectId;
}

/**
 * Selects the first `needle` in the task text the way a mouse drag
 * does: a DOM selection from one text node offset to another (UTF-16 units,
 * across the segments the text is cut into).
 */
export async function selectText(page, needle) {
  const found = await page.getByTestId('task-text').evaluate((container, needle) => {
    const full = container.textContent;
    const start = full.indexOf(needle);
    if (start < 0) return false;
    const end = start + needle.length;
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let seen = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const length = node.data.length;
      if (start >= seen && start <= seen + length) range.setStart(node, start - seen);
      if (end >= seen && end <= seen + length) {
        range.setEnd(node, end - seen);
        break;
      }
      seen += length;
    }
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }, needle);
  assert.ok(found, `"${needle}" is in the task text`);
  await page.getByTestId('pending-selection').waitFor();
}

/** The span regions on the page, as `LABEL@start-end` in code points. */
export async function spans(page) {
  return page
    .getByTestId('span')
    .evaluateAll((nodes) => nodes.map((n) => `${n.dataset.label}@${n.dataset.start}-${n.dataset.end}`));
}
