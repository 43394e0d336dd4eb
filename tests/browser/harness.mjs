// What the browser tests share: a Hamafza server of its own with the demo data (from
// HAMAFZA_BIN), Debian's headless Chromium, pages that collect console errors, and
// signing in through the real form. Screenshots go to ./screenshots.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitReady(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready at ${url}`);
}

/** Starts the server (extra arguments go to `serve`) and the browser. */
export async function start(extraArgs = []) {
  const bin = process.env.HAMAFZA_BIN;
  assert.ok(bin, "set HAMAFZA_BIN to the hamafza binary");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "hamafza-browser-"));
  const server = spawn(bin, ["--data-dir", dataDir, "serve", "--demo", "--listen", `127.0.0.1:${port}`, ...extraArgs], { stdio: "inherit" });
  await waitReady(`${base}/healthz`, 60_000);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  return {
    base,
    browser,
    async stop() {
      await browser.close();
      server.kill("SIGTERM");
    },
    async newPage() {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: "fa-IR" });
      const problems = [];
      page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
      page.on("pageerror", (e) => problems.push(String(e)));
      return { page, problems };
    },
  };
}

export async function signIn(base, page, username, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel("نام کاربری").fill(username);
  await page.getByLabel("گذرواژه").fill(password);
  await page.getByRole("button", { name: "ورود" }).click();
}

/** Fails when the page scrolls sideways (checked at phone width). */
export async function noSidewaysScroll(page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  if (overflow > 1) throw new Error(`page scrolls sideways by ${overflow}px at phone width`);
}
